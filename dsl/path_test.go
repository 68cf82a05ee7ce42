package dsl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A path must evaluate to what expr gives for the same source, and fail
// where expr fails; the references it reports must be expr's too, so that
// the checker's messages point at the same characters.
func TestPathMatchesExpr(t *testing.T) {
	cfg := newExprConfig(DefaultMaxExprNodes)
	envs := map[string]*Env{
		"full": {
			Input: map[string]any{"orderId": "A-1", "amount": 12.5, "customer": map[string]any{"email": "a@example.com", "tags": []any{"x"}}, "none": nil},
			Steps: map[string]any{"charge": map[string]any{"output": map[string]any{"id": "ch_1", "n": 3}}},
			Vars:  map[string]any{"total": 40.0, "flag": true},
			Item:  map[string]any{"sku": "S-1"},
		},
		"empty":  {},
		"scalar": {Input: "text", Item: 7.0, Steps: map[string]any{"charge": nil}},
		"nil":    nil,
	}
	sources := []string{
		"input", "input.orderId", " input.customer.email ", "input.customer.tags", "input.missing", "input.missing.deeper",
		"input.none", "input.none.x", "input.orderId.length", "input.customer.tags.first",
		"steps", "steps.charge", "steps.charge.output", "steps.charge.output.id", "steps.charge.output.id.x", "steps.other.output",
		"vars", "vars.total", "vars.total.x", "vars.missing",
		"item", "item.sku", "item.sku.x", "\titem.sku\n",
	}
	for _, src := range sources {
		p, ok := parsePath(src, DefaultMaxExprNodes)
		require.True(t, ok, "%q should be a path", src)
		refs := &referenceCollector{}
		program, err := compileExprSource(src, cfg, refs, true)
		require.NoError(t, err, src)
		assert.Equal(t, refs.refs, p.refs, "references of %q", src)
		for name, env := range envs {
			fast := &Expr{Source: src, path: p, limits: &defaultLimits}
			slow := &Expr{Source: src, program: program, limits: &defaultLimits}
			want, wantErr := slow.Eval(env)
			got, gotErr := fast.Eval(env)
			if wantErr != nil {
				assert.Error(t, gotErr, "%q with env %s: expr fails with %v", src, name, wantErr)
				continue
			}
			require.NoError(t, gotErr, "%q with env %s", src, name)
			assert.Equal(t, want, got, "%q with env %s", src, name)
		}
	}
}

func TestParsePathLeavesOtherExpressionsToExpr(t *testing.T) {
	for _, src := range []string{
		"", "  ", "input.a + 1", "input[\"a\"]", "input?.a", "input.a[0]", "workflow.id", "error.code", "index",
		"inptu.a", "input..a", "input.a.", ".input", "input.1a", "input.in", "input.not", "steps.a.matches",
		"$env.x", "len(input)", "input.é", "input.a\u00a0",
	} {
		_, ok := parsePath(src, DefaultMaxExprNodes)
		assert.False(t, ok, "%q is not a plain path", src)
	}
	_, ok := parsePath("input.a.b.c", 3)
	assert.False(t, ok, "a path over the node limit is left to expr, which reports it")
}
