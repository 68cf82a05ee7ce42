package rea

import (
	"encoding/json"
	"fmt"

	"github.com/restatedev/sdk-go/encoding"
)

// RawJSON is a codec for a Run whose result is a json.RawMessage that
// json.Marshal produced (restate.WithCodec(rea.RawJSON)): it journals those
// bytes as they are and hands the journaled bytes back without copying
// them. Restate's default JSON codec would marshal the RawMessage again,
// which validates and compacts it, and unmarshal it into a copy: work
// that changes nothing for bytes json.Marshal wrote, which are compact and
// escaped already, but that a Run pays on every call. The journal holds
// the same bytes either way, so journals written with either codec replay
// with the other.
//
// It trusts its input: a result that is not valid JSON is journaled as it
// is, so use it only for results that come from json.Marshal (a nil result
// is journaled as null, as the JSON codec writes it).
var RawJSON encoding.Codec = rawJSON{}

type rawJSON struct{}

func (rawJSON) Marshal(v any) ([]byte, error) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		return nil, fmt.Errorf("rea.RawJSON marshals a json.RawMessage, not %T", v)
	}
	if len(raw) == 0 {
		return []byte("null"), nil
	}
	return raw, nil
}

func (rawJSON) Unmarshal(data []byte, v any) error {
	raw, ok := v.(*json.RawMessage)
	if !ok {
		return fmt.Errorf("rea.RawJSON unmarshals into a *json.RawMessage, not %T", v)
	}
	*raw = data
	return nil
}
