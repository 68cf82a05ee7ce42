package dsl

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
)

// An expression is written by whoever submits a definition, and the
// endpoint evaluates it in its own process: an expression that loops or
// builds values without bound must fail its step, not exhaust the
// endpoint's memory or CPU. expr bounds the syntax tree (MaxNodes) and
// counts the elements of ranges and collection literals against the VM's
// memory budget, but strings (repeat, +, replace, join, toJSON), nested
// loops over a value bound by let, and walks over structures that share
// their parts (flatten, toJSON and == over [a, a, a] built from [b, b, b])
// cost nothing in that budget. So every compiled expression is rewritten
// (guard, below) to charge a per-evaluation budget, deterministically, for
// what it does:
//
//   - each iteration of a predicate (map, filter, all, reduce, ...) costs
//     the size of the predicate's body;
//   - each builtin call costs the size of its arguments (deep sizes for the
//     builtins that walk nested values), and repeat, replace, join and toJSON
//     are charged the size of their result before they build it;
//   - operators on strings and collections cost the size of their operands
//     (+ is charged before it concatenates, == and in by deep size).
//
// Costs are in bytes, roughly: a string costs its length, a collection one
// unit per element (and its elements, when deep), one syntax node
// costPerNode. The charge depends only on the values, never on time, so a
// replay fails (or succeeds) exactly where the first run did.

// Charges for evaluating syntax nodes. A guard function call costs the VM
// some hundreds of nanoseconds, a byte of a string operation well under
// one, so that a budget of 64 MiB is spent in well under a second however
// it is spent: at most about a million predicate iterations.
const (
	costPerCall    = 64 // each call of a guard function
	costPerNode    = 8  // each syntax node of a predicate body, per iteration
	costPerElement = 16 // each element a builtin walks (encodes, compares)
)

// Names of the functions guard inserts. Authors cannot call them: the
// parser refuses names starting with "$" other than the builtins'.
const (
	fnTick = "$tick" // $tick($env, cost, body): a predicate iteration
	fnArg  = "$arg"  // $arg($env, mode, weight, value): an operand
	fnCall = "$call" // $call($env, name, args...): a builtin call
)

// ErrEvalLimit is the error (see errors.Is) of an evaluation that ran past
// its budget (WithEvalBudget) or produced a value larger than
// WithMaxValueSize.
var ErrEvalLimit = errors.New("evaluation limit exceeded")

// budget is what one evaluation may still spend. It travels in the Env the
// VM runs with, which guard's functions receive as $env.
type budget struct {
	left  int64
	limit int64
}

func (b *budget) charge(n int64) error {
	b.left -= n
	if b.left < 0 {
		return fmt.Errorf("%w: the expression used more than its budget of %s of work and memory (it loops or builds values without bound); simplify it, or do the work in an activity", ErrEvalLimit, formatBytes(b.limit))
	}
	return nil
}

// formatBytes writes n as KiB or MiB when it is a whole number of them.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Modes of $arg: how an operand's size is measured.
const (
	sizeShallow    = iota // a string's length, a collection's element count
	sizeDeep              // everything reachable, shared parts counted each time
	sizeCollection        // deep for an array (in scans it), shallow for a map
)

// guardFunctions are the functions guard's rewrites call; newExprConfig
// registers them.
var guardFunctions = map[string]func(params ...any) (any, error){
	fnTick: tick,
	fnArg:  chargeArg,
	fnCall: callBuiltin,
}

// loopBuiltins compile to loops over their first argument; their
// predicates are charged per iteration, their collection per loop.
var loopBuiltins = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true,
	"count": true, "sum": true, "groupBy": true, "sortBy": true, "reduce": true,
}

// guard rewrites a checked and optimized syntax tree so that evaluating it
// charges the budget; see the comment at the top of this file. It runs
// after expr's optimizer, whose rewrites (such as `x in 1..10` into two
// comparisons) it must not prevent, and sets the types of the nodes it adds
// itself, since the tree is not checked again.
type guard struct{}

func (g guard) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		n.Node = tickNode(n.Node)
	case *ast.BuiltinNode:
		if n.Map != nil {
			// The optimizer fuses filter(...) | map(...) into one loop whose
			// map body ast.Walk does not visit.
			ast.Walk(&n.Map, g)
			n.Map = tickNode(n.Map)
		}
		if loopBuiltins[n.Name] {
			if len(n.Arguments) > 0 {
				n.Arguments[0] = argNode(n.Arguments[0], sizeShallow, 1)
			}
			return
		}
		args := append([]ast.Node{envNode(), stringNode(n.Name)}, n.Arguments...)
		*node = callNode(fnCall, args, n)
	case *ast.CallNode:
		// keys, values and toPairs, replaced by versions that sort.
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && !strings.HasPrefix(id.Value, "$") {
			for i := range n.Arguments {
				n.Arguments[i] = argNode(n.Arguments[i], sizeShallow, 32)
			}
		}
	case *ast.MemberNode:
		// A map lookup hashes its key.
		n.Property = argNode(n.Property, sizeShallow, 1)
	case *ast.BinaryNode:
		// Against a literal, a comparison costs what the literal's length
		// allows (or fails on the types), as do startsWith and endsWith
		// with a literal prefix or suffix, and + with a number: the
		// conditions of most steps cost nothing more to guard.
		literal := isConstant(n.Left) || isConstant(n.Right)
		switch n.Operator {
		case "<", ">", "<=", ">=", "==", "!=":
			if literal {
				return
			}
			mode := sizeShallow
			if n.Operator == "==" || n.Operator == "!=" {
				mode = sizeDeep
			}
			n.Left, n.Right = argNode(n.Left, mode, 1), argNode(n.Right, mode, 1)
		case "startsWith", "endsWith":
			if isConstant(n.Right) {
				return
			}
			n.Left, n.Right = argNode(n.Left, sizeShallow, 1), argNode(n.Right, sizeShallow, 1)
		case "+":
			if isNumber(n.Left) || isNumber(n.Right) {
				return
			}
			n.Left, n.Right = argNode(n.Left, sizeShallow, 1), argNode(n.Right, sizeShallow, 1)
		case "contains":
			n.Left, n.Right = argNode(n.Left, sizeShallow, 1), argNode(n.Right, sizeShallow, 1)
		case "in":
			if r, ok := n.Right.(*ast.BinaryNode); ok && r.Operator == ".." {
				return // ranges are counted by the VM itself
			}
			n.Left, n.Right = argNode(n.Left, sizeDeep, 1), argNode(n.Right, sizeCollection, 1)
		case "matches":
			// A regular expression matches in time linear in the text
			// times the size of the pattern, at tens of nanoseconds a byte.
			if p, ok := n.Right.(*ast.StringNode); ok {
				n.Left = argNode(n.Left, sizeShallow, 64*(1+int64(len(p.Value))/8))
			} else {
				n.Left, n.Right = argNode(n.Left, sizeShallow, 512), argNode(n.Right, sizeShallow, 512)
			}
		}
	}
}

// isConstant reports whether a node is a literal, whose size the
// expression's own length already bounds, or a number or boolean, whose
// operations cost the same whatever the value.
func isConstant(n ast.Node) bool {
	switch n.(type) {
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.ConstantNode:
		return true
	}
	if n.Nature().Nil {
		return true
	}
	switch n.Type().Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// isNumber reports whether a node is a number, whose + with anything is
// arithmetic or an error.
func isNumber(n ast.Node) bool {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return true
	}
	switch n.Type().Kind() {
	case reflect.Int, reflect.Int64, reflect.Float64:
		return !n.Nature().Nil
	}
	return false
}

// tickNode wraps a predicate body: $tick($env, cost, body).
func tickNode(body ast.Node) ast.Node {
	cost := 0
	ast.Walk(&body, countVisitor{&cost})
	return callNode(fnTick, []ast.Node{envNode(), intNode(costPerCall + cost*costPerNode), body}, body)
}

// argNode wraps an operand: $arg($env, mode, weight, operand).
func argNode(operand ast.Node, mode int, weight int64) ast.Node {
	if isConstant(operand) {
		return operand
	}
	return callNode(fnArg, []ast.Node{envNode(), intNode(mode), intNode(int(weight)), operand}, operand)
}

type countVisitor struct{ n *int }

func (c countVisitor) Visit(*ast.Node) { *c.n++ }

var (
	guardFuncType = reflect.TypeOf(tick)
	envType       = reflect.TypeOf(Env{})
	intType       = reflect.TypeOf(0)
	stringType    = reflect.TypeOf("")
)

// callNode calls one of guardFunctions with args, as the node like stood:
// same location, same type, so that the compiler emits for the operators
// around it what it emitted before.
func callNode(name string, args []ast.Node, like ast.Node) ast.Node {
	callee := &ast.IdentifierNode{Value: name}
	callee.SetType(guardFuncType)
	callee.SetLocation(like.Location())
	call := &ast.CallNode{Callee: callee, Arguments: args}
	call.SetNature(*like.Nature())
	call.SetLocation(like.Location())
	return call
}

func envNode() ast.Node {
	n := &ast.IdentifierNode{Value: "$env"}
	n.SetType(envType)
	return n
}

func intNode(v int) ast.Node {
	n := &ast.IntegerNode{Value: v}
	n.SetType(intType)
	return n
}

func stringNode(v string) ast.Node {
	n := &ast.StringNode{Value: v}
	n.SetType(stringType)
	return n
}

// budgetOf returns the budget of the evaluation a guard function runs in.
// Expr.run always gives the VM an Env with a budget; a fresh default one
// stands in should anything else run a program.
func budgetOf(env any) *budget {
	if e, ok := env.(*Env); ok && e.budget != nil {
		return e.budget
	}
	return &budget{left: DefaultEvalBudget, limit: DefaultEvalBudget}
}

// toInt reads a count argument as expr would (an int, or a float from
// JSON); anything else is left for the builtin to refuse.
func toInt(v any) int64 {
	switch v := v.(type) {
	case int:
		return int64(v)
	case float64:
		if v >= math.MinInt64/2 && v <= math.MaxInt64/2 {
			return int64(v)
		}
		return math.MaxInt64 / 2
	}
	return 0
}

// tick charges one iteration of a predicate and returns its body's value.
func tick(params ...any) (any, error) {
	if err := budgetOf(params[0]).charge(int64(params[1].(int))); err != nil {
		return nil, err
	}
	return params[2], nil
}

// chargeArg charges an operand's size and returns the operand.
func chargeArg(params ...any) (any, error) {
	b := budgetOf(params[0])
	mode, weight, v := params[1].(int), int64(params[2].(int)), params[3]
	cost := int64(costPerCall)
	switch mode {
	case sizeShallow:
		cost += shallowSize(v) * weight
	case sizeDeep:
		cost += deepCost(b, v) * weight
	case sizeCollection:
		if reflect.ValueOf(v).Kind() == reflect.Map {
			cost++
		} else {
			cost += deepCost(b, v) * weight
		}
	}
	if err := b.charge(cost); err != nil {
		return nil, err
	}
	return v, nil
}

// callBuiltin calls the builtin named by params[1] with params[2:], after
// charging it by its arguments, and for builtins whose result can be far
// larger than their arguments, by the size of the result before building
// it.
func callBuiltin(params ...any) (any, error) {
	b, name, args := budgetOf(params[0]), params[1].(string), params[2:]
	cost := int64(costPerCall)
	switch name {
	case "repeat":
		s, _ := args[0].(string)
		n := toInt(args[1])
		if n > 1e6 {
			// expr's own bound, which it reports as a "memory budget".
			return nil, fmt.Errorf("%w: repeat() repeats at most 1000000 times", ErrEvalLimit)
		}
		if n > 0 && len(s) > 0 && n > math.MaxInt32/int64(len(s)) {
			return nil, b.charge(math.MaxInt64 / 2)
		}
		cost += int64(len(s)) * max(n, 0)
	case "replace":
		cost += replaceCost(args)
	case "join":
		cost += joinCost(b, args)
	case "toJSON":
		if len(args) == 1 {
			cost += jsonCost(b, args[0])
		}
	case "string", "flatten", "uniq", "max", "min", "mean", "median", "fromPairs", "concat":
		for _, a := range args {
			cost += deepCost(b, a)
		}
	case "fromJSON", "fromBase64":
		// The decoded value takes many times the room of its text.
		for _, a := range args {
			cost += 32 * shallowSize(a)
		}
	case "split", "splitAfter", "sort", "reverse", "take":
		for _, a := range args {
			cost += 16 * shallowSize(a)
		}
	default:
		for _, a := range args {
			cost += shallowSize(a)
		}
	}
	if err := b.charge(cost); err != nil {
		return nil, err
	}
	if name == "type" && len(args) == 1 && reflect.ValueOf(args[0]).Kind() == reflect.Struct {
		// workflow and error are Go structs; expressions see them as
		// maps (workflow.id), and their Go type is none of their business.
		return "map", nil
	}
	f := builtin.Builtins[builtin.Index[name]]
	switch {
	case f.Fast != nil && len(args) == 1:
		return f.Fast(args[0]), nil
	case f.Safe != nil:
		out, _, err := f.Safe(args...)
		return out, err
	case f.Func != nil:
		return f.Func(args...)
	}
	return nil, fmt.Errorf("%s() cannot be called here", name)
}

// replaceCost is the size of replace(s, old, new[, n])'s result.
func replaceCost(args []any) int64 {
	if len(args) < 3 {
		return 0
	}
	s, _ := args[0].(string)
	old, _ := args[1].(string)
	repl, _ := args[2].(string)
	count := int64(0)
	if old == "" {
		count = int64(utf8.RuneCountInString(s)) + 1
	} else {
		count = int64(strings.Count(s, old))
	}
	if len(args) == 4 {
		if n := toInt(args[3]); n >= 0 && n < count {
			count = n
		}
	}
	return int64(len(s)) + count*int64(len(repl))
}

// joinCost is the size of join(array[, glue])'s result.
func joinCost(b *budget, args []any) int64 {
	cost := deepCost(b, args[0])
	if len(args) == 2 {
		glue, _ := args[1].(string)
		cost += shallowSize(args[0]) * int64(len(glue))
	}
	return cost
}

// shallowSize is a string's length or a collection's element count.
func shallowSize(v any) int64 {
	switch v := v.(type) {
	case nil, bool, int, float64:
		return 1
	case string:
		return int64(len(v))
	case []any:
		return int64(len(v))
	case map[string]any:
		return int64(len(v))
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map:
		return int64(rv.Len())
	}
	return 1
}

// deepCost measures v for the budget: it walks at most what the budget has
// left, so a value whose shared parts make it huge costs no more to
// measure than the evaluation may spend.
func deepCost(b *budget, v any) int64 {
	m := measurer{limit: max(b.left, 0) + 1, element: costPerElement}
	m.walk(v, 0)
	return m.size
}

// jsonCost is the size of v as toJSON writes it, indented by two spaces
// per level.
func jsonCost(b *budget, v any) int64 {
	m := measurer{limit: max(b.left, 0) + 1, indent: 2, element: costPerElement}
	m.walk(v, 0)
	return m.size
}

// measure returns the size of v as compact JSON, roughly, and false when
// it exceeds limit (the walk then stops there). Shared parts are counted
// wherever they appear, as an encoder would write them.
func measure(v any, limit int64) (int64, bool) {
	m := measurer{limit: limit}
	m.walk(v, 0)
	return m.size, m.size <= limit
}

// measurer walks a value, adding up its size until it passes limit. It
// also notes whether the value is made only of what json.Unmarshal
// produces (plus int), which then needs no conversion.
type measurer struct {
	limit, size int64
	indent      int64 // per level and element, as toJSON indents
	element     int64 // per element, for the work of walking it
	converted   bool  // some part is not a plain JSON value
}

func (m *measurer) add(n int64) bool {
	m.size += n
	return m.size <= m.limit
}

// walk handles the values expressions produce most, without reflection.
func (m *measurer) walk(v any, depth int64) bool {
	switch v := v.(type) {
	case nil:
		return m.add(4)
	case bool:
		return m.add(5)
	case int:
		return m.add(8)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			m.converted = true
		}
		return m.add(8)
	case string:
		return m.add(int64(len(v)) + 2)
	case []any:
		if !m.add(2) {
			return false
		}
		for _, item := range v {
			if !m.add(1+m.element+m.indent*(depth+1)) || !m.walk(item, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		if !m.add(2) {
			return false
		}
		for k, item := range v {
			if !m.add(int64(len(k))+4+m.element+m.indent*(depth+1)) || !m.walk(item, depth+1) {
				return false
			}
		}
		return true
	}
	m.converted = true
	return m.walkValue(reflect.ValueOf(v), depth)
}

// walkValue handles everything else: typed slices such as the []int of a
// range, other maps, structs, pointers.
func (m *measurer) walkValue(v reflect.Value, depth int64) bool {
	if !v.IsValid() {
		return m.add(4)
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return m.add(4)
		}
		return m.walkValue(v.Elem(), depth)
	case reflect.String:
		return m.add(int64(v.Len()) + 2)
	case reflect.Slice, reflect.Array:
		if !m.add(2) {
			return false
		}
		if elem := v.Type().Elem().Kind(); elem != reflect.Interface && elem <= reflect.Complex128 {
			return m.add(int64(v.Len()) * (8 + m.element + m.indent*(depth+1)))
		}
		for i := range v.Len() {
			if !m.add(1+m.element+m.indent*(depth+1)) || !m.walk(v.Index(i).Interface(), depth+1) {
				return false
			}
		}
		return true
	case reflect.Map:
		if !m.add(2) {
			return false
		}
		it := v.MapRange()
		for it.Next() {
			if !m.walk(it.Key().Interface(), depth+1) || !m.add(2+m.element+m.indent*(depth+1)) || !m.walk(it.Value().Interface(), depth+1) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if !m.add(2) {
			return false
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if !m.add(int64(len(f.Name))+4+m.element+m.indent*(depth+1)) || !m.walk(v.Field(i).Interface(), depth+1) {
				return false
			}
		}
		return true
	}
	return m.add(8)
}
