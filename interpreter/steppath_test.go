package interpreter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

func TestParseStepPathReadsWhatStepPathWrites(t *testing.T) {
	for _, loops := range [][]interpreter.PathLoop{
		nil,
		{{Step: "lines", Index: 3}},
		{{Step: "orders", Index: 0}, {Step: "lines", Index: 12}},
	} {
		path := interpreter.StepPath(loops, "ship")
		gotLoops, id, err := interpreter.ParseStepPath(path)
		require.NoError(t, err, path)
		assert.Equal(t, "ship", id, path)
		assert.Equal(t, loops, gotLoops, path)
	}
	for _, bad := range []string{"lines/ship", "lines[x]/ship", "lines[3/ship", "[3]/ship", "lines[-1]/ship"} {
		_, _, err := interpreter.ParseStepPath(bad)
		assert.Error(t, err, bad)
	}
}

// A redrive generation and a loop give keys of their own; the plain
// step's key is the root's.
func TestStepKeyTellsCallsApart(t *testing.T) {
	plain := interpreter.StepKey("order-1", nil, "ship", 0)
	inLoop := interpreter.StepKey("order-1", []interpreter.PathLoop{{Step: "lines", Index: 0}}, "ship", 0)
	redriven := interpreter.StepKey("order-1", nil, "ship", 1)
	assert.NotEqual(t, plain, inLoop)
	assert.NotEqual(t, plain, redriven)
	assert.NotEqual(t, inLoop, redriven)
	assert.Equal(t, plain, interpreter.StepKey("order-1", nil, "ship", 0), "stable")
}
