package dsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Template is a compiled JSON value: the `with` of a step, a variable of a
// set step, or the workflow's output. Strings in it may hold expressions:
// a string that is exactly "${ expr }" becomes the expression's value, of
// whatever type; other strings interpolate each ${ expr } as text. A
// Template is immutable and safe for concurrent use.
type Template struct {
	// Pointer is the JSON pointer of the template's root in the file.
	Pointer string

	root   node
	raw    json.RawMessage // canonical JSON of the template as written
	limits *limits
}

// Eval renders the template against env. The result is made of
// map[string]any, []any, string, float64, int, bool and nil, so
// json.Marshal encodes it.
//
// Parts of the template without expressions are built once, at load time,
// and every Eval returns those same values, so callers must treat the
// result as read-only (marshal it, decode it, but do not modify it).
//
// A result larger than the program's value limit (WithMaxValueSize) as
// JSON is an error wrapping ErrEvalLimit.
func (t *Template) Eval(env *Env) (any, error) {
	out, size, err := t.root.eval(env)
	if err == nil && size > t.limits.maxValueSize {
		return nil, &EvalError{Pointer: t.Pointer, Source: "(template)", Err: tooLarge(t.limits.maxValueSize)}
	}
	return out, err
}

// MarshalJSON returns the template as written (canonical JSON), not a
// rendering: it is what a status page or a log shows for the step.
func (t *Template) MarshalJSON() ([]byte, error) {
	// raw is part of the program's canonical form: hand out a copy.
	return bytes.Clone(t.raw), nil
}

// node is one part of a compiled template. eval returns the value and its
// size as JSON, roughly, so that a template's total is known without
// walking its result again.
type node interface {
	eval(env *Env) (any, int64, error)
}

// constant is a subtree without expressions, built once.
type constant struct {
	value any
	size  int64
}

func newConstant(v any) *constant {
	size, _ := measure(v, math.MaxInt64/4)
	return &constant{value: v, size: size}
}

// typed is a string that is exactly "${ expr }".
type typed struct{ expr *Expr }

// interpolation is a string with text around expressions: text[0] expr[0]
// text[1] ... expr[n-1] text[n].
type interpolation struct {
	text  []string
	exprs []*Expr
}

type object struct {
	keys   []string
	values []node
}

type array struct{ items []node }

func (n *constant) eval(*Env) (any, int64, error) { return n.value, n.size, nil }

func (n *typed) eval(env *Env) (any, int64, error) { return n.expr.eval(env) }

func (n *interpolation) eval(env *Env) (any, int64, error) {
	var b []byte
	for i, e := range n.exprs {
		b = append(b, n.text[i]...)
		v, err := e.run(env)
		if err != nil {
			return nil, 0, err
		}
		if b, err = appendText(b, v, e.limits.maxValueSize); err != nil {
			return nil, 0, e.fail(err)
		}
		if int64(len(b)) > e.limits.maxValueSize {
			return nil, 0, e.fail(tooLarge(e.limits.maxValueSize))
		}
	}
	b = append(b, n.text[len(n.exprs)]...)
	return string(b), int64(len(b)) + 2, nil
}

func (n *object) eval(env *Env) (any, int64, error) {
	out := make(map[string]any, len(n.keys))
	size := int64(2)
	for i, k := range n.keys {
		v, s, err := n.values[i].eval(env)
		if err != nil {
			return nil, 0, err
		}
		out[k] = v
		size += int64(len(k)) + 4 + s
	}
	return out, size, nil
}

func (n *array) eval(env *Env) (any, int64, error) {
	out := make([]any, len(n.items))
	size := int64(2)
	for i, item := range n.items {
		v, s, err := item.eval(env)
		if err != nil {
			return nil, 0, err
		}
		out[i] = v
		size += 1 + s
	}
	return out, size, nil
}

// appendText formats an interpolated value: strings as they are, numbers
// as JSON writes them (no ".0" on integral floats), anything else as
// compact JSON (so null is "null"), at most limit bytes of it.
func appendText(b []byte, v any, limit int64) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return append(b, v...), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("result %v is not a JSON number", v)
		}
		if abs := math.Abs(v); abs == 0 || (abs >= 1e-6 && abs < 1e21) {
			return strconv.AppendFloat(b, v, 'f', -1, 64), nil
		}
	}
	v, _, err := jsonValue(v, limit)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// segment is a piece of a template string: literal text, or an expression
// whose source starts at byte offset start of the string.
type segment struct {
	text    string
	isExpr  bool
	start   int    // of the expression source in the string
	written string // "${ ... }" as written
}

// splitTemplate cuts a template string into text and expressions. "$${"
// is a literal "${". An expression ends at the first "}" outside braces
// and string literals, so `${ {"a": 1}.a }` and `${ "}" }` work. On error
// it returns the byte offset of the problem.
func splitTemplate(s string) ([]segment, int, error) {
	if !strings.Contains(s, "${") {
		return []segment{{text: s}}, 0, nil
	}
	segs := make([]segment, 0, 2*strings.Count(s, "${")+1)
	// The current text run is text (built only across a "$${") followed
	// by s[from:i]. A builder, not string concatenation: a string of many
	// "$${" would be copied again at each one.
	var text strings.Builder
	from := 0
	run := func(end int) string {
		if text.Len() == 0 {
			return s[from:end]
		}
		text.WriteString(s[from:end])
		out := text.String()
		text.Reset()
		return out
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			text.WriteString(s[from:i])
			text.WriteString("${")
			i += 3
			from = i
		case strings.HasPrefix(s[i:], "${"):
			end, err := exprEnd(s, i+2)
			if err != nil {
				return nil, i, err
			}
			if part := run(i); part != "" {
				segs = append(segs, segment{text: part})
			}
			segs = append(segs, segment{text: s[i+2 : end], isExpr: true, start: i + 2, written: s[i : end+1]})
			i = end + 1
			from = i
		default:
			next := strings.IndexByte(s[i+1:], '$')
			if next < 0 {
				i = len(s)
			} else {
				i += 1 + next
			}
		}
	}
	if part := run(len(s)); part != "" || len(segs) == 0 {
		segs = append(segs, segment{text: part})
	}
	return segs, 0, nil
}

// exprEnd returns the index of the "}" closing an expression that starts
// at i.
func exprEnd(s string, i int) (int, error) {
	depth := 0
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i, nil
			}
			depth--
		case '"', '\'', '`':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' && c != '`' {
					i++
				}
			}
			if i >= len(s) {
				return 0, fmt.Errorf("unterminated string literal in ${ }")
			}
		}
	}
	return 0, fmt.Errorf("unterminated ${: missing }")
}
