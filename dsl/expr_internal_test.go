package dsl

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/conf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compileExprSource repeats expr.Compile's pipeline with a shared
// configuration; both must produce the same program.
func TestCompileMatchesExpr(t *testing.T) {
	cfg := newExprConfig(DefaultMaxExprNodes)
	for _, src := range []string{
		`input.amount * 2 + 1`,
		`steps.charge.output.id ?? "none"`,
		`len(filter(input.items, .price > 10)) > 0 ? "big" : "small"`,
		`keys(input.m)`,
		`"ship:" + input.orderId`,
		`input.tags[0] in ["a", "b"] && !(vars.x == nil)`,
	} {
		ours, err := compileExprSource(src, cfg, &referenceCollector{}, false)
		require.NoError(t, err, src)
		theirs, err := expr.Compile(src, func(c *conf.Config) { *c = *newExprConfig(DefaultMaxExprNodes) })
		require.NoError(t, err, src)
		assert.Equal(t, theirs.Disassemble(), ours.Disassemble(), src)
	}
}

func TestEnvIsNotAvailable(t *testing.T) {
	_, err := Load("env.json", []byte(`{"name": "x", "steps": [{"id": "a", "set": {"x": "${ $env }"}}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "$env is not available")
}
