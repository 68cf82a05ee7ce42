package interpreter

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appendJSON must write exactly what json.Marshal writes: the bytes become
// activity inputs, and a change of encoding between versions would change
// what a replayed step sends.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, 0, -7, 42, 1.5, -0.0, 1e21, 1e-7, 12345678.9, math.MaxInt64,
		"", "plain", "quote \" backslash \\ slash /", "tab\tnewline\nreturn\r", "\x00\x01\x1f\x7f",
		"<html>&amp;", "line\u2028sep\u2029", "héllo wörld ✓ 日本", "bad \xff utf8 \xc3", "\U0001F600",
		map[string]any{}, []any{},
		map[string]any{"b": 1, "a": []any{"x", nil, map[string]any{"z": false, "y": 2.25}}, "": "empty key", "é": "k"},
		[]any{map[string]any{"k": "v"}, []any{}, "s", 3},
		json.Number("12.50"),
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		got, err := appendJSON(nil, v)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "value %#v", v)
	}
}

func TestAppendJSONRejectsWhatJSONCannotHold(t *testing.T) {
	_, err := appendJSON(nil, map[string]any{"x": math.NaN()})
	assert.Error(t, err)
}
