package rea_test

import (
	"encoding/json"
	"testing"

	"github.com/restatedev/sdk-go/encoding"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/rea"
)

func TestRawJSONJournalsWhatTheJSONCodecJournals(t *testing.T) {
	for _, v := range []any{
		nil, 1.5, "text", map[string]any{"html": "<a>&</a>", "sep": "\u2028", "ü": []any{1, true, nil}},
		struct {
			Raw json.RawMessage `json:"raw"`
		}{json.RawMessage(`{ "spaced" : [1, 2] }`)},
	} {
		encoded, err := json.Marshal(v)
		require.NoError(t, err)
		want, err := encoding.JSONCodec.Marshal(json.RawMessage(encoded))
		require.NoError(t, err)
		got, err := rea.RawJSON.Marshal(json.RawMessage(encoded))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
	null, err := rea.RawJSON.Marshal(json.RawMessage(nil))
	require.NoError(t, err)
	assert.Equal(t, "null", string(null))
}

func TestRawJSONPassesBytesThrough(t *testing.T) {
	in := json.RawMessage(`{"a":1}`)
	out, err := rea.RawJSON.Marshal(in)
	require.NoError(t, err)
	assert.Same(t, &in[0], &out[0], "marshalling copies nothing")

	var back json.RawMessage
	require.NoError(t, rea.RawJSON.Unmarshal(out, &back))
	assert.Same(t, &out[0], &back[0], "unmarshalling copies nothing")

	_, err = rea.RawJSON.Marshal("not raw")
	assert.Error(t, err)
	var s string
	assert.Error(t, rea.RawJSON.Unmarshal(out, &s))
}
