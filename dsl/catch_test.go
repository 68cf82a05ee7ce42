package dsl_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
)

func TestCatchOfAnUndeclaredCodeWarns(t *testing.T) {
	errs := map[string][]string{"charge": {"card_declined"}, "email": nil}
	declared := func(name string) ([]string, bool) {
		codes, ok := errs[name]
		return codes, ok && codes != nil
	}
	tests := []struct {
		name, steps string
		warnings    []string
	}{
		{"declared by the activity", `{"id": "pay", "activity": "charge", "catch": [{"errors": ["card_declined", "timeout"], "steps": [{"id": "x", "set": {"a": 1}}]}]}`, nil},
		{"a typo", `{"id": "pay", "activity": "charge", "catch": [{"errors": ["card_decline"], "steps": [{"id": "x", "set": {"a": 1}}]}]}`,
			[]string{`t.json:1:83: /steps/0/catch/0/errors/0: no activity or fail step of this definition fails with "card_decline", so this handler never runs for it; did you mean "card_declined"?; possible codes: callback_rejected, card_declined, failed, output_too_large, timeout`}},
		{"used by a fail step", `{"id": "pay", "activity": "charge", "catch": [{"errors": ["too_big"], "steps": [{"id": "x", "set": {"a": 1}}]}]}, {"id": "f", "fail": {"error": "too_big"}}`, nil},
		{"an activity that may fail with any code", `{"id": "pay", "activity": "email", "catch": [{"errors": ["whatever"], "steps": [{"id": "x", "set": {"a": 1}}]}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `{"name": "w", "steps": [` + tt.steps + `]}`
			prog, err := dsl.Load("t.json", []byte(src), dsl.WithActivityErrors(declared))
			require.NoError(t, err)
			var got []string
			for _, w := range prog.Warnings {
				got = append(got, w.Error())
			}
			assert.Equal(t, tt.warnings, got)
		})
	}

	// Without WithActivityErrors there is nothing to check against.
	prog, err := dsl.Load("t.json", []byte(`{"name": "w", "steps": [{"id": "pay", "activity": "charge", "catch": [{"errors": ["nope"], "steps": [{"id": "x", "set": {"a": 1}}]}]}]}`))
	require.NoError(t, err)
	assert.Empty(t, prog.Warnings)
}
