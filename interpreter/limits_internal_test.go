package interpreter

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
)

// The limit options set what the checks compare with; the integration
// tests (limits_test.go) show the defaults against a real server.
func TestLimitOptions(t *testing.T) {
	reg := activities.NewRegistry()
	activities.Register(reg, "noop", func(*activities.Context, any) (any, error) { return nil, nil })
	cfg := config{defaultRetry: DefaultRetry, limits: defaultLimits}
	for _, opt := range []Option{WithMaxInputSize(1), WithMaxStepOutputSize(10), WithMaxSignalSize(3), WithMaxMessageSize(4), WithMaxForeachItems(3)} {
		opt(&cfg)
	}
	assert.Equal(t, limits{maxInput: 1, maxStepOutput: 10, maxSignal: 3, maxMessage: 4, maxForeachItems: 3}, cfg.limits)
	in := &interpreter{registry: reg, cfg: cfg}
	run := func(definition string, input any) error {
		prog, err := dsl.Load("t.json", []byte(definition), dsl.WithActivities(reg.Has))
		require.NoError(t, err)
		_, err = newRunner(in, noopJournal{output: json.RawMessage(`{"much": "more than ten bytes"}`)}, prog, "wf-1", input).walk()
		return err
	}

	err := run(`{"name": "t", "steps": [{"id": "each", "foreach": {"items": "input", "steps": [{"id": "a", "activity": "noop"}]}}]}`, []any{1, 2, 3, 4})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "4 items, more than the limit of 3 (interpreter.WithMaxForeachItems)")

	err = run(`{"name": "t", "steps": [{"id": "a", "activity": "noop"}]}`, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `step "a" failed: output_too_large: the output is 31 bytes, more than the limit of 10 bytes (interpreter.WithMaxStepOutputSize)`)
}
