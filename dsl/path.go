package dsl

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm/runtime"
)

// direct is an expression simple enough to be evaluated without expr: a
// path, or a path compared with a literal. Most template expressions are
// paths, and most guards compare one with a constant. expr would compile
// each into a program (about ten microseconds, most of the cost of loading
// a large definition) and run it in its VM; a direct expression is parsed
// by hand and evaluated with the result expr gives (TestDirectMatchesExpr,
// FuzzDirect).
type direct interface {
	eval(env *Env) (any, error)
}

// parseDirect returns src as a direct expression, with the references it
// makes, or false if expr must compile it.
func parseDirect(src string, result resultKind, maxNodes int) (direct, []reference, bool) {
	if p, ok := parsePath(src, maxNodes); ok {
		return p, p.refs, true
	}
	if c, ok := parseComparison(src, maxNodes); ok && result != resultString {
		return c, c.left.refs, true
	}
	return nil, nil, false
}

// path is an expression that only reads a value: a root name followed by
// member names, such as steps.charge.output.id or item.sku.
type path struct {
	root    string
	members []string
	refs    []reference // as referenceCollector would find them
}

// pathRoots are the names a path may start with: those of Env whose type
// is a map or any, so that expr checks none of their member names at load
// time either. workflow, error and index have fixed types and go through
// expr, which checks their members.
var pathRoots = map[string]bool{"input": true, "steps": true, "vars": true, "item": true}

// exprKeywords are words expr reads as operators or literals, never as
// member names.
var exprKeywords = map[string]bool{
	"in": true, "not": true, "and": true, "or": true, "matches": true, "contains": true,
	"startsWith": true, "endsWith": true, "let": true, "true": true, "false": true, "nil": true,
}

// parsePath returns src as a path, or false if it is any other expression.
// maxNodes is the definition's limit on expression nodes: a longer path is
// left to expr, which reports it. expr counts the root's identifier and,
// for each member, a member node and the string node of its name.
func parsePath(src string, maxNodes int) (*path, bool) {
	body, start := trimSpace(src)
	if body == "" || 2*strings.Count(body, ".")+1 > maxNodes {
		return nil, false
	}
	p := &path{}
	offset := start // the source is ASCII up to here, so bytes count runes
	for i := 0; body != ""; i++ {
		name, rest, more := strings.Cut(body, ".")
		if !isIdentifier(name) || exprKeywords[name] || more && rest == "" {
			return nil, false
		}
		if i == 0 {
			if !pathRoots[name] {
				return nil, false
			}
			p.root = name
		} else {
			p.members = append(p.members, name)
		}
		switch {
		case i == 0 && scopedNames[name]:
			p.refs = append(p.refs, reference{root: name, offset: offset})
		case i == 1 && (p.root == "steps" || p.root == "vars"):
			p.refs = append(p.refs, reference{root: p.root, name: name, offset: offset})
		case i == 2 && p.root == "steps":
			p.refs[0].field = name
		}
		offset += len(name) + 1
		body = rest
	}
	return p, true
}

func isIdentifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// eval reads the path from env. A member of a missing value is an error,
// as in expr; a missing member of an object is null.
func (p *path) eval(env *Env) (any, error) {
	var v any
	switch p.root {
	case "input":
		v = env.Input
	case "steps":
		v = env.Steps
	case "vars":
		v = env.Vars
	case "item":
		v = env.Item
	}
	for _, name := range p.members {
		switch m := v.(type) {
		case map[string]any:
			v = m[name]
		case nil:
			return nil, fmt.Errorf("cannot fetch %s from <nil>", name)
		default:
			// The type alone: the value may be a long string.
			return nil, fmt.Errorf("cannot fetch %s from %s", name, typeName(reflect.TypeOf(v)))
		}
	}
	return v, nil
}

// comparison is a path compared with a literal: input.amount > 1000,
// steps.check.output.status == 'ok', vars.next != nil.
type comparison struct {
	left  *path
	op    string
	right any // int, float64, string, bool or nil, as expr reads the literal
}

var comparisonOps = []string{"==", "!=", "<=", ">=", "<", ">"}

// parseComparison matches <path> <op> <literal>, where the literal is an
// integer or decimal number, a string in quotes with no escapes or quotes
// in it, true, false or nil. Anything else is left to expr.
func parseComparison(src string, maxNodes int) (*comparison, bool) {
	at := strings.IndexAny(src, "=!<>")
	if at < 0 {
		return nil, false
	}
	c := &comparison{}
	for _, op := range comparisonOps {
		if strings.HasPrefix(src[at:], op) {
			c.op = op
			break
		}
	}
	if c.op == "" {
		return nil, false
	}
	// The comparison takes a node, and the literal one more: two for a
	// negative number, which expr reads as a minus applied to a number.
	literal, _ := trimSpace(src[at+len(c.op):])
	literalNodes := 1
	if strings.HasPrefix(literal, "-") {
		literalNodes = 2
	}
	left, ok := parsePath(src[:at], maxNodes-1-literalNodes)
	if !ok || len(left.members) == 0 && (left.root == "steps" || left.root == "vars") {
		// steps and vars are maps to expr's type checker, which refuses
		// to compare one with a literal at load time.
		return nil, false
	}
	c.left = left
	if c.right, ok = parseLiteral(literal); !ok {
		return nil, false
	}
	return c, true
}

func parseLiteral(s string) (any, bool) {
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	case "nil":
		return nil, true
	case "":
		return nil, false
	}
	if q := s[0]; q == '\'' || q == '"' {
		if len(s) < 2 || s[len(s)-1] != q {
			return nil, false
		}
		text := s[1 : len(s)-1]
		if strings.ContainsAny(text, "\\'\"") || !printableASCII(text) {
			return nil, false
		}
		return text, true
	}
	digits := strings.TrimPrefix(s, "-")
	whole, fraction, decimal := strings.Cut(digits, ".")
	if !allDigits(whole) || len(whole) > 1 && whole[0] == '0' || decimal && !allDigits(fraction) {
		return nil, false
	}
	if decimal {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// eval compares as expr's VM does, with expr's own functions: equality
// between any two values (numbers by value, whatever their Go type), order
// between numbers or between strings, an error for any other order.
func (c *comparison) eval(env *Env) (any, error) {
	a, err := c.left.eval(env)
	if err != nil {
		return nil, err
	}
	switch c.op {
	case "==":
		return runtime.Equal(a, c.right), nil
	case "!=":
		return !runtime.Equal(a, c.right), nil
	}
	if !ordered(a, c.right) {
		return nil, fmt.Errorf("invalid operation: %T %s %T", a, c.op, c.right)
	}
	switch c.op {
	case "<":
		return runtime.Less(a, c.right), nil
	case "<=":
		return runtime.LessOrEqual(a, c.right), nil
	case ">":
		return runtime.More(a, c.right), nil
	default:
		return runtime.MoreOrEqual(a, c.right), nil
	}
}

// ordered reports whether expr's order functions accept a and b, for the
// values expressions see (JSON values, and ints from expr's arithmetic).
func ordered(a, b any) bool {
	switch a.(type) {
	case int, float64:
		switch b.(type) {
		case int, float64:
			return true
		}
	case string:
		_, ok := b.(string)
		return ok
	}
	return false
}

// trimSpace removes the white space expr skips around tokens, and returns
// where what is left starts in s. strings.Trim would build its set of
// characters on every call.
func trimSpace(s string) (string, int) {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	start := 0
	for start < len(s) && isSpace(s[start]) {
		start++
	}
	end := len(s)
	for end > start && isSpace(s[end-1]) {
		end--
	}
	return s[start:end], start
}
