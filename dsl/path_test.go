package dsl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// directEnvs are the environments direct expressions are compared with
// expr in: every JSON type where a path may lead.
var directEnvs = map[string]*Env{
	"full": {
		Input: map[string]any{"orderId": "A-1", "amount": 12.5, "count": 3.0, "customer": map[string]any{"email": "a@example.com", "tags": []any{"x"}}, "none": nil, "ok": true},
		Steps: map[string]any{"charge": map[string]any{"output": map[string]any{"id": "ch_1", "n": 3, "status": "ok"}}},
		Vars:  map[string]any{"total": 40.0, "flag": true, "big": 1e300},
		Item:  map[string]any{"sku": "S-1"},
	},
	"empty":  {},
	"scalar": {Input: "text", Item: 7.0, Steps: map[string]any{"charge": nil}, Vars: map[string]any{"total": "40"}},
	"nil":    nil,
}

// A direct expression must evaluate to what expr gives for the same
// source, and fail where expr fails; the references it reports must be
// expr's too, so that the checker's messages point at the same characters.
func TestDirectMatchesExpr(t *testing.T) {
	for _, src := range []string{
		"input", "input.orderId", " input.customer.email ", "input.customer.tags", "input.missing", "input.missing.deeper",
		"input.none", "input.none.x", "input.orderId.length", "input.customer.tags.first",
		"steps", "steps.charge", "steps.charge.output", "steps.charge.output.id", "steps.charge.output.id.x", "steps.other.output",
		"vars", "vars.total", "vars.total.x", "vars.missing",
		"item", "item.sku", "item.sku.x", "\titem.sku\n",
		"input.amount > 12", "input.amount>12.5", "input.amount >= 12.5", "input.count == 3", "input.count != 3.0", "input.count < -1",
		"input.amount <= 0", "input.orderId == 'A-1'", `input.orderId != "A-2"`, "input.orderId < 'B'", "input.orderId > 3",
		"input.ok == true", "input.ok != false", "input.ok > 1", "input.none == nil", "input.missing != nil", "input.missing > 1",
		"steps.charge.output.status == 'ok'", "steps.charge.output.n >= 3", "steps.charge.output == nil", "input.customer == nil",
		"vars.total > 39", "vars.big > 1", "vars.total == '40'", "item == nil", "item.sku == 'S-1'", "input.customer.tags == nil",
		"steps.charge.output.id.x == 1", "input == 'text'", "item >= 7", "item < 7.5",
	} {
		d, refs, ok := parseDirect(src, resultAny, DefaultMaxExprNodes)
		require.True(t, ok, "%q should be direct", src)
		compareWithExpr(t, src, d, refs)
	}
}

func compareWithExpr(t *testing.T, src string, d direct, refs []reference) {
	t.Helper()
	collected := &referenceCollector{}
	program, err := compileExprSource(src, newExprConfig(DefaultMaxExprNodes), collected, true)
	require.NoError(t, err, "expr refuses %q, which is direct", src)
	assert.Equal(t, collected.refs, refs, "references of %q", src)
	for name, env := range directEnvs {
		fast := &Expr{Source: src, direct: d, limits: &defaultLimits}
		slow := &Expr{Source: src, program: program, limits: &defaultLimits}
		want, wantErr := slow.Eval(env)
		got, gotErr := fast.Eval(env)
		if wantErr != nil {
			if !assert.Error(t, gotErr, "%q with env %s: expr fails with %v", src, name, wantErr) {
				continue
			}
			// A failed comparison (not a failed path) says what expr says.
			if c, ok := d.(*comparison); ok && env != nil {
				if _, pathErr := c.left.eval(env); pathErr == nil {
					assert.Equal(t, message(wantErr.(*EvalError).Err), message(gotErr.(*EvalError).Err), "%q with env %s", src, name)
				}
			}
			continue
		}
		require.NoError(t, gotErr, "%q with env %s", src, name)
		assert.Equal(t, want, got, "%q with env %s", src, name)
	}
}

func TestParseDirectLeavesOtherExpressionsToExpr(t *testing.T) {
	for _, src := range []string{
		"", "  ", "input.a + 1", "input[\"a\"]", "input?.a", "input.a[0]", "workflow.id", "error.code", "index",
		"inptu.a", "input..a", "input.a.", ".input", "input.1a", "input.in", "input.not", "steps.a.matches",
		"$env.x", "len(input)", "input.é", "input.a\u00a0",
		"input.a > 1 + 1", "input.a == 'x\\'y'", "input.a == 'é'", "input.a > 1e3", "input.a > 01", "input.a > 1.", "input.a > .5",
		"1 < input.a", "input.a > input.b", "input.a === 1", "input.a =< 1", "input.a > '", "input.a == 'x", "input.a > 99999999999999999999",
		"input.a > -", "input.a == nil && true", "!input.a", "input.a = 1", "vars < 0", "steps == nil",
	} {
		_, _, ok := parseDirect(src, resultAny, DefaultMaxExprNodes)
		assert.False(t, ok, "%q is not direct", src)
	}
	_, _, ok := parseDirect("input.a.b.c", resultAny, 3)
	assert.False(t, ok, "a path over the node limit is left to expr, which reports it")
	_, _, ok = parseDirect("input.a > 1", resultString, DefaultMaxExprNodes)
	assert.False(t, ok, "a comparison where a string is expected is left to expr, which reports it")
}

// FuzzDirect checks that every expression parseDirect takes is one expr
// compiles, to the same result in every env of directEnvs.
func FuzzDirect(f *testing.F) {
	for _, src := range []string{"input.amount > 12", "steps.a.output.b == 'x'", "item", "vars.n <= -3.5", "input.a != nil"} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d, refs, ok := parseDirect(src, resultAny, DefaultMaxExprNodes)
		if !ok {
			return
		}
		compareWithExpr(t, src, d, refs)
	})
}

// A direct expression must be refused where expr would exceed the node
// limit: expr counts two nodes per member (the member and its name), one
// for the comparison and two for a negative literal.
func TestParseDirectCountsNodesAsExpr(t *testing.T) {
	for _, src := range []string{
		"input", "input.a", "input.a.b.c", "input.a > 1", "input.a > -1", "input.a >= -1.5",
		"input.a == nil", "input > 1.5", "input.a.b == 'x'", "item.a.b.c.d != true",
	} {
		for maxNodes := 1; maxNodes <= 12; maxNodes++ {
			_, _, direct := parseDirect(src, resultAny, maxNodes)
			_, err := compileExprSource(src, newExprConfig(maxNodes), &referenceCollector{}, true)
			assert.Equal(t, err == nil, direct, "%q with at most %d nodes: expr says %v", src, maxNodes, err)
		}
	}
}
