package scenario

import (
	"encoding/json"
	"errors"
	"testing"

	restate "github.com/restatedev/sdk-go"
	"github.com/stretchr/testify/assert"
)

func TestSequenceMatches(t *testing.T) {
	tests := []struct {
		name  string
		seq   Sequence
		names []string
		want  bool
	}{
		{"empty matches empty", Sequence{}, nil, true},
		{"in order", Sequence{{"a"}, {"b"}}, []string{"a", "b"}, true},
		{"out of order", Sequence{{"a"}, {"b"}}, []string{"b", "a"}, false},
		{"a group in any order", Sequence{{"a"}, {"b", "c"}, {"d"}}, []string{"a", "c", "b", "d"}, true},
		{"a group does not reach past its length", Sequence{{"a", "b"}, {"c"}}, []string{"a", "c", "b"}, false},
		{"missing at the end", Sequence{{"a"}, {"b"}}, []string{"a"}, false},
		{"extra at the end", Sequence{{"a"}}, []string{"a", "b"}, false},
		{"a group with a name twice", Sequence{{"a", "a"}}, []string{"a", "a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.seq.matches(tt.names))
		})
	}
	assert.Equal(t, "a, {b, c}, d", Sequence{{"a"}, {"b", "c"}, {"d"}}.String())
	assert.Equal(t, "(none)", Sequence{}.String())
}

func TestDiffJSON(t *testing.T) {
	tests := []struct {
		name      string
		want, got string
		subset    bool
		diffs     []string
	}{
		{"equal", `{"a": [1, {"b": "x"}]}`, `{"a": [1, {"b": "x"}]}`, false, nil},
		{"numbers by value", `{"n": 1}`, `{"n": 1.0}`, false, nil},
		{"changed, missing and unexpected members", `{"a": 1, "b": 2}`, `{"a": 3, "c": 4}`, false,
			[]string{`/a: expected 1, got 3`, `/b: missing, expected 2`, `/c: unexpected 4`}},
		{"subset ignores other members at any depth", `{"a": {"b": 1}}`, `{"a": {"b": 1, "c": 2}, "d": 3}`, true, nil},
		{"subset still compares what it names", `{"a": {"b": 1}}`, `{"a": {"b": 2}}`, true, []string{`/a/b: expected 1, got 2`}},
		{"arrays item by item", `[1, 2]`, `[1, 3]`, false, []string{`/1: expected 2, got 3`}},
		{"arrays of another length", `[1, 2]`, `[1]`, true, []string{`(the whole output): expected [1,2], got [1]`}},
		{"another type", `{"a": {}}`, `{"a": "x"}`, false, []string{`/a: expected {}, got "x"`}},
		{"null output", `{"a": 1}`, ``, false, []string{`(the whole output): expected {"a":1}, got null`}},
		{"escaped pointers", `{"a/b": 1}`, `{"a/b": 2}`, false, []string{`/a~1b: expected 1, got 2`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.diffs, diffJSON(json.RawMessage(tt.want), json.RawMessage(tt.got), tt.subset))
		})
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		message string
		code    restate.Code
		want    string
	}{
		{`step "car" (activity book) failed: sold_out: compact is sold out; compensated: hotel, flight`, 500, "sold_out"},
		{`step "giveUp" failed: sold_out: car compact is sold out`, 500, "sold_out"},
		{`step "x" (child run r.x) failed: step "y" failed: not_approved: no`, 500, "not_approved"},
		{`workflow trip failed: timeout: it ran longer than its timeout of 1h0m0s`, 500, "timeout"},
		{`step "charge" (activity charge) failed: attempt 5 of charge fails, as the mock's failAttempts (9) says`, 500, "failed"},
		{`step "x": /steps/0/with: ${ 1/0 }: division by zero`, 422, "expression_failed"},
		{`invalid input for shop: input: missing required property`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.message, func(t *testing.T) {
			err := restate.ToTerminalError(errors.New(tt.message), restate.WithErrorCode(tt.code))
			assert.Equal(t, tt.want, errorCode(restate.AsTerminalError(err)))
		})
	}
}
