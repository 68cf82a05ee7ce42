package dsl

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/file"
)

// Error is one problem of a definition (or of a run's input), located by
// JSON pointer and by line and column in the file. Line and Column are
// 1-based; Column counts characters (runes), not bytes. Both are 0 when
// the position is unknown.
type Error struct {
	File    string
	Pointer string
	Line    int
	Column  int
	Message string

	source string // the text of line Line, for Snippet
}

// Error formats the problem the way compilers do, e.g.
//
//	order.json:12:7: /steps/2/activity: unknown activity "chrage"; registered: charge, email
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Pointer != "" {
		b.WriteString(visible(e.Pointer))
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// hidden reports whether r would not show as itself in a terminal: control
// characters, and format characters such as the bidirectional overrides
// and zero-width joiners, which can make text display as something other
// than what it is (the "Trojan Source" trick).
func hidden(r rune) bool {
	return r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
}

// quoteName quotes a name from the definition for a message. Names that
// matter (step ids, activities, properties, variables) are ASCII, so a
// name with other characters is shown with them escaped: "ch\u0430rge"
// rather than a Cyrillic а that looks like the Latin a of "charge".
func quoteName(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return strconv.QuoteToASCII(name)
		}
	}
	return strconv.Quote(name)
}

// visible escapes the hidden characters of s as \uXXXX, so that a message
// shows what the file holds.
func visible(s string) string {
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Snippet shows the offending source line with a caret under the column,
// or "" when the position is unknown:
//
//	12 |       "activity": "chrage",
//	   |                   ^
//
// A long line (minified JSON) is cut to a window around the column.
func (e *Error) Snippet() string {
	if e.Line == 0 || e.source == "" {
		return ""
	}
	const window = 60 // runes shown on each side of the column
	line, col := []rune(e.source), e.Column-1
	prefix, suffix := "", ""
	if len(line) > 2*window {
		start, end := max(0, col-window), min(len(line), col+window)
		if start > 0 {
			prefix = "…"
		}
		if end < len(line) {
			suffix = "…"
		}
		line, col = line[start:end], col-start+len([]rune(prefix))
		line = append([]rune(prefix), append(line, []rune(suffix)...)...)
	}
	var text, caret strings.Builder
	for i, r := range line {
		shown := string(r)
		if hidden(r) {
			shown = visible(shown)
		}
		text.WriteString(shown)
		if i >= col {
			continue
		}
		// Keep tabs so the caret lines up with the text above it.
		if r == '\t' {
			caret.WriteRune('\t')
		} else {
			caret.WriteString(strings.Repeat(" ", len([]rune(shown))))
		}
	}
	gutter := fmt.Sprintf("%4d | ", e.Line)
	pad := strings.Repeat(" ", len(gutter)-2) + "| "
	return gutter + text.String() + "\n" + pad + caret.String() + "^"
}

// ErrorList is every problem found in a definition, sorted by position.
// Load returns one as its error, so callers can do
//
//	var list dsl.ErrorList
//	if errors.As(err, &list) { for _, e := range list { ... } }
type ErrorList []*Error

// Error lists the problems one per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Sort orders by position, then message, so output is stable and reads
// top to bottom like the file. Errors without a position go last.
func (l ErrorList) Sort() {
	key := func(e *Error) int {
		if e.Line == 0 {
			return int(^uint(0) >> 1)
		}
		return e.Line
	}
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(key(a), key(b)),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Pointer, b.Pointer),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// EvalError is a failure to evaluate an expression at run time, such as
// arithmetic on a missing value. It names where the expression is and the
// expression as written.
type EvalError struct {
	Pointer string // e.g. "/steps/1/with/amount"
	Source  string // e.g. "${ input.amount * 2 }", or a bare when/dedup expression
	Err     error
}

// Error formats e.g. `/steps/1/with/amount: ${ input.amount * 2 }: invalid operation: ...`.
func (e *EvalError) Error() string {
	return fmt.Sprintf("%s: %s: %s", visible(e.Pointer), visible(e.Source), message(e.Err))
}

func (e *EvalError) Unwrap() error { return e.Err }

// message is err's text without expr's multi-line source snippet: the
// pointer and source already say where the problem is.
func message(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.Message
	}
	return err.Error()
}
