package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem of a scenario file, located the way dsl locates the
// problems of a definition: file, line:column (1-based, columns in runes)
// and JSON pointer, so that editors and people find both the same way.
// dsl.Error cannot be reused as it is: the line it shows under Snippet is
// unexported, and dsl does not expose its located parser.
type Error struct {
	File    string
	Pointer string
	Line    int
	Column  int
	Message string

	source string // the text of line Line, for Snippet
}

// Error formats the problem like dsl.Error, e.g.
//
//	trip.test.json:12:7: /scenarios/0/mocks/steps/cra: no step "cra" in trip-booking.json
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Pointer != "" {
		b.WriteString(e.Pointer)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Snippet shows the offending line with a caret under the column, or ""
// when the position is unknown. A long line is cut around the column.
func (e *Error) Snippet() string {
	if e.Line == 0 || e.source == "" {
		return ""
	}
	const window = 60
	line, col := []rune(e.source), e.Column-1
	if len(line) > 2*window {
		start, end := max(0, col-window), min(len(line), col+window)
		cut := string(line[start:end])
		if start > 0 {
			cut = "…" + cut
			col = col - start + 1
		}
		if end < len(line) {
			cut += "…"
		}
		line = []rune(cut)
	}
	var caret strings.Builder
	for i, r := range line {
		if i >= col {
			break
		}
		// Tabs stay tabs so that the caret lines up with the text.
		if r == '\t' {
			caret.WriteRune('\t')
		} else {
			caret.WriteRune(' ')
		}
	}
	gutter := fmt.Sprintf("%4d | ", e.Line)
	pad := strings.Repeat(" ", len(gutter)-2) + "| "
	return gutter + string(line) + "\n" + pad + caret.String() + "^"
}

// ErrorList is every problem found in a scenario file, in file order.
type ErrorList []*Error

// Error lists the problems one per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders by position, then pointer and message, so output reads top
// to bottom like the file; problems without a position go last.
func (l ErrorList) sort() {
	line := func(e *Error) int {
		if e.Line == 0 {
			return int(^uint(0) >> 1)
		}
		return e.Line
	}
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(line(a), line(b)), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Pointer, b.Pointer), cmp.Compare(a.Message, b.Message))
	})
}
