package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	exprchecker "github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

const (
	// maxExprLen bounds an expression's source, in bytes.
	maxExprLen = 8192
	// maxExprs bounds the expressions of one definition: ten per step
	// for a thousand steps.
	maxExprs = 10000
)

// resultKind is what an expression must evaluate to.
type resultKind uint8

const (
	resultAny resultKind = iota
	resultBool
	resultString
)

// Expr is one compiled expression. It is immutable and safe for concurrent
// use.
type Expr struct {
	// Source is the expression itself, without any ${ }.
	Source string
	// Pointer is the JSON pointer of the string that holds it.
	Pointer string

	written string // as it appears in the file, for messages: "${ a + b }"
	program *vm.Program
	limits  *limits
}

// evaluation is what one evaluation needs besides the program: a VM, which
// is not safe for concurrent use but resets itself at the start of every
// Run, the budget, and a copy of the caller's Env that carries the budget
// to the guard functions (so that callers may share an Env). Reusing them
// saves allocations on every step of every run.
type evaluation struct {
	vm     vm.VM
	env    Env
	budget budget
}

var evaluations = sync.Pool{New: func() any { return new(evaluation) }}

// Eval evaluates the expression against env and returns a JSON-compatible
// value (see Template.Eval).
func (e *Expr) Eval(env *Env) (any, error) {
	out, _, err := e.eval(env)
	return out, err
}

// eval is Eval that also returns the value's size as JSON, roughly.
func (e *Expr) eval(env *Env) (any, int64, error) {
	out, err := e.run(env)
	if err != nil {
		return nil, 0, err
	}
	out, size, err := jsonValue(out, e.limits.maxValueSize)
	if err != nil {
		return nil, 0, e.fail(err)
	}
	return out, size, nil
}

// EvalBool evaluates a condition, such as a step's when. null counts as
// false, so `input.express` works for an optional flag; any other
// non-boolean is an error.
func (e *Expr) EvalBool(env *Env) (bool, error) {
	out, err := e.run(env)
	if err != nil || out == nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, e.fail(fmt.Errorf("expected a %s, got %s", resultNames[resultBool], describe(out)))
	}
	return b, nil
}

// EvalString evaluates an expression that must yield a string, such as a
// step's dedup key.
func (e *Expr) EvalString(env *Env) (string, error) {
	out, err := e.run(env)
	if err != nil {
		return "", err
	}
	s, ok := out.(string)
	if !ok {
		return "", e.fail(fmt.Errorf("expected a %s, got %s", resultNames[resultString], describe(out)))
	}
	if int64(len(s)) > e.limits.maxValueSize {
		return "", e.fail(tooLarge(e.limits.maxValueSize))
	}
	return s, nil
}

func (e *Expr) run(env *Env) (any, error) {
	ev := evaluations.Get().(*evaluation)
	if env != nil {
		ev.env = *env
	}
	ev.budget = budget{left: e.limits.evalBudget, limit: e.limits.evalBudget}
	ev.env.budget = &ev.budget
	out, err := ev.vm.Run(e.program, &ev.env)
	ev.env = Env{}
	evaluations.Put(ev)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) && fe.Message == "memory budget exceeded" {
			// The VM's own count of the elements of ranges, arrays and
			// maps built, expr's default of a million.
			err = fmt.Errorf("%w: the expression builds more than %d elements (ranges, arrays, maps); simplify it, or do the work in an activity", ErrEvalLimit, conf.DefaultMemoryBudget)
		}
		return nil, e.fail(err)
	}
	return out, nil
}

func tooLarge(limit int64) error {
	return fmt.Errorf("%w: the value is larger than the limit of %s as JSON; pass large data between activities by reference (an id or a URL) instead", ErrEvalLimit, formatBytes(limit))
}

func (e *Expr) fail(err error) error {
	return &EvalError{Pointer: e.Pointer, Source: e.written, Err: err}
}

// describe names a value's JSON type for messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", v)
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// newExprConfig returns the expr configuration of every expression. Names
// are checked against Env, so a typo like `inptu` fails at load time.
// Builtins that read the clock or the local time zone database (now, date,
// timezone) are removed: a replayed run must compute what the first run
// computed. keys, values and toPairs are replaced by versions that sort,
// because expr's follow Go's random map order.
//
// Building it costs about as much as compiling a small expression, so
// Load builds one per definition and shares it between all of the
// definition's expressions; compiling does not change it.
func newExprConfig(maxNodes int) *conf.Config {
	cfg := conf.CreateNew()
	opts := []expr.Option{
		expr.Env(Env{}),
		expr.MaxNodes(uint(maxNodes)),
		expr.Function("keys", sortedKeys),
		expr.Function("values", sortedValues),
		expr.Function("toPairs", sortedPairs),
	}
	for name, fn := range guardFunctions {
		opts = append(opts, expr.Function(name, fn))
	}
	for name := range removedBuiltins {
		opts = append(opts, expr.DisableBuiltin(name))
	}
	for _, opt := range opts {
		opt(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()
	return cfg
}

// compiledExprs compiles the expressions of one definition. They share one
// expr configuration, and each distinct source is compiled once:
// definitions repeat expressions (input.orderId in every step's with), and
// a compiled program is immutable, so Exprs can share it.
type compiledExprs struct {
	cfg      *conf.Config
	bySource map[exprKey]*compiledExpr
}

type exprKey struct {
	src    string
	result resultKind
}

// compiledExpr is one source compiled: its program, and the references
// it makes, which the checker judges at every use.
type compiledExpr struct {
	program *vm.Program
	refs    []reference
}

func (c *compiledExprs) compile(src string, result resultKind) (*compiledExpr, error) {
	key := exprKey{src, result}
	if done, ok := c.bySource[key]; ok {
		return done, nil
	}
	refs := &referenceCollector{}
	program, err := compileExprSource(src, c.cfg, refs, true)
	if err == nil {
		err = checkResultType(program, result)
	}
	if err != nil {
		return nil, err
	}
	done := &compiledExpr{program: program, refs: refs.refs}
	c.bySource[key] = done
	return done, nil
}

// compileExprSource runs expr's pipeline with a shared configuration, and
// walks the syntax tree with refs between parsing and type checking. It
// follows expr.Compile step by step (expr v1.17); TestCompileMatchesExpr
// compares the two, unguarded, so that an upgrade of expr cannot make them
// drift. guarded rewrites the optimized tree to charge the evaluation
// budget (see guard).
func compileExprSource(src string, cfg *conf.Config, refs ast.Visitor, guarded bool) (*vm.Program, error) {
	if err := checkBidi(src); err != nil {
		return nil, err
	}
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return nil, err
	}
	var env envGuard
	ast.Walk(&tree.Node, &env)
	if env.at != nil {
		return nil, env.at
	}
	ast.Walk(&tree.Node, refs)
	if _, err := new(exprchecker.Checker).PatchAndCheck(tree, cfg); err != nil {
		return nil, err
	}
	if cfg.Optimize {
		if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
			var fileError *file.Error
			if errors.As(err, &fileError) {
				return nil, fileError.Bind(tree.Source)
			}
			return nil, err
		}
	}
	if guarded {
		ast.Walk(&tree.Node, guard{})
	}
	return compiler.Compile(tree, cfg)
}

// checkBidi refuses the characters that reorder how text is displayed
// (bidirectional overrides, embeddings, isolates and marks), even inside
// string literals: with them, an expression can read differently from
// what it does, as in `role == "user‮ ⁦&& admin⁩ ⁦"` (the "Trojan Source"
// trick). No expression needs them; a string that does can come from the
// input.
func checkBidi(src string) error {
	offset := 0
	for _, r := range src {
		switch {
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
			return &file.Error{Location: file.Location{From: offset, To: offset + 1},
				Message: fmt.Sprintf("the invisible character U+%04X changes how the expression is displayed; remove it (a string that needs it can come from the input)", r)}
		}
		offset++
	}
	return nil
}

// checkResultType rejects a when that cannot be a boolean, or a dedup that
// cannot be a string, at load time. expr's own AsBool would also convert
// at run time, but its conversion error ("bool(float64)") is obscure, so
// the run-time check is EvalBool's.
func checkResultType(program *vm.Program, result resultKind) error {
	want := reflect.Invalid
	switch result {
	case resultBool:
		want = reflect.Bool
	case resultString:
		want = reflect.String
	}
	typ := program.Node().Type()
	if want == reflect.Invalid || typ == nil || typ.Kind() == reflect.Interface || typ.Kind() == want {
		return nil
	}
	return fmt.Errorf("expected a %s, got %s", resultNames[result], typeName(typ))
}

// typeName names a static type the way the JSON it stands for reads.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	}
	return t.String()
}

var resultNames = [...]string{resultAny: "value", resultBool: "boolean", resultString: "string"}

// removedBuiltins are expr builtins that read the clock or the machine's
// time zone database, with the reason given to an author who uses one.
var removedBuiltins = map[string]string{
	"now":      "expressions must give the same result when a run is replayed; take the time from the input or from an activity's output",
	"date":     "it depends on the server's clock and time zone; parse dates in an activity",
	"timezone": "it depends on the server's time zone database; handle time zones in an activity",
}

// sortedMap returns the keys of a map argument in sorted order.
func sortedMap(name string, args []any) (reflect.Value, []reflect.Value, error) {
	if len(args) != 1 {
		return reflect.Value{}, nil, fmt.Errorf("%s: expected 1 argument, got %d", name, len(args))
	}
	m := reflect.ValueOf(args[0])
	if m.Kind() != reflect.Map {
		return reflect.Value{}, nil, fmt.Errorf("%s: expected a map, got %s", name, describe(args[0]))
	}
	keys := m.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		return strings.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
	})
	return m, keys, nil
}

func sortedKeys(args ...any) (any, error) {
	_, keys, err := sortedMap("keys", args)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k.Interface()
	}
	return out, err
}

func sortedValues(args ...any) (any, error) {
	m, keys, err := sortedMap("values", args)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = m.MapIndex(k).Interface()
	}
	return out, err
}

func sortedPairs(args ...any) (any, error) {
	m, keys, err := sortedMap("toPairs", args)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = []any{k.Interface(), m.MapIndex(k).Interface()}
	}
	return out, err
}

// envGuard finds $env, expr's name for the whole environment, which would
// show the Go side of Env (its field names) to expressions, and the other
// names starting with $, which only the functions guard inserts use.
type envGuard struct{ at *file.Error }

func (g *envGuard) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok || !strings.HasPrefix(id.Value, "$") || g.at != nil {
		return
	}
	g.at = &file.Error{Location: id.Location(), Message: id.Value + " is not available: use input, steps, vars or workflow"}
}

// scopedNames are the names of Env defined only in some blocks.
var scopedNames = map[string]bool{"item": true, "index": true, "error": true}

// reference is a use of steps.<id> or vars.<name>, or of a name in
// scopedNames, found in an expression.
type reference struct {
	root   string // "steps", "vars" or a scoped name
	name   string
	field  string // for steps: the member after the id, "" if none
	offset int    // rune offset of the reference in the expression
}

// referenceCollector is an expr patch visitor: it sees the syntax tree
// after parsing and before type checking, and changes nothing.
type referenceCollector struct{ refs []reference }

func (c *referenceCollector) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && scopedNames[id.Value] {
		c.refs = append(c.refs, reference{root: id.Value, offset: id.Location().From})
		return
	}
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	if root, name, ok := staticMember(m); ok && (root == "steps" || root == "vars") {
		c.refs = append(c.refs, reference{root: root, name: name, offset: m.Location().From})
		return
	}
	// steps.<id>.<field>: the visitor runs children first, so the inner
	// reference is already recorded; add the field to it.
	inner, ok := m.Node.(*ast.MemberNode)
	if !ok {
		return
	}
	field, isString := m.Property.(*ast.StringNode)
	if root, name, ok := staticMember(inner); ok && root == "steps" && isString {
		for i := range c.refs {
			if c.refs[i].root == root && c.refs[i].name == name && c.refs[i].offset == inner.Location().From {
				c.refs[i].field = field.Value
			}
		}
	}
}

// staticMember matches <identifier>.<name> or <identifier>["name"].
func staticMember(m *ast.MemberNode) (root, name string, ok bool) {
	id, ok1 := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	if !ok1 || !ok2 {
		return "", "", false
	}
	return id.Value, prop.Value, true
}

// exprNames are the top-level names of Env, for "did you mean" hints.
var exprNames = []string{"input", "steps", "vars", "workflow"}

// jsonValue converts an expression's result to the values json.Unmarshal
// produces (map[string]any, []any, string, float64, bool, nil; plus int,
// which expr uses for integer arithmetic), and returns its size as JSON,
// roughly. A value larger than limit is an error: its parts may be shared
// ([a, a, a] where a is [b, b, b]...), so that encoding it would take far
// more memory than building it did. Results that already are such values
// (the common case) are returned as they are, without copying. Anything
// else goes through its JSON encoding, the form it would have on the wire
// anyway.
func jsonValue(v any, limit int64) (any, int64, error) {
	m := measurer{limit: limit}
	if !m.walk(v, 0) {
		return nil, 0, tooLarge(limit)
	}
	if !m.converted {
		return v, m.size, nil
	}
	out, err := convertValue(v)
	return out, m.size, err
}

func convertValue(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			item, err := convertValue(item)
			if err != nil {
				return nil, err
			}
			out[k] = item
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			item, err := convertValue(item)
			if err != nil {
				return nil, err
			}
			out[i] = item
		}
		return out, nil
	case nil, string, bool, int:
		return v, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("result %v is not a JSON number", v)
		}
		return v, nil
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		var unsupported *json.UnsupportedValueError
		if errors.As(err, &unsupported) {
			return nil, fmt.Errorf("result contains %s, which JSON cannot represent", unsupported.Str)
		}
		return nil, fmt.Errorf("result %s is not representable in JSON: %w", describe(v), err)
	}
	var out any
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		return nil, err
	}
	return out, nil
}
