package activities

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

type decodeTarget struct {
	Name  string            `json:"name"`
	N     int               `json:"n"`
	Inner *decodeTarget     `json:"inner,omitempty"`
	Tags  map[string]string `json:"tags,omitempty"`
}

// decodeStrict must decode exactly as a new json.Decoder with
// DisallowUnknownFields does, whatever the pooled decoders decoded before:
// inputs that fail, that end at the end of the input, that carry trailing
// bytes, or that are large must not leave anything behind for the next.
func TestDecodeStrictIsAFreshDecoder(t *testing.T) {
	inputs := []string{
		`{"name":"ada","n":1}`,
		`{"name":"ada","n":1,"inner":{"name":"bob","tags":{"a":"b"}}}`,
		`{"nme":"ada"}`,
		`{"inner":{"nmae":"x"}}`,
		`{"name":1}`,
		`{"name":"ada"`,
		`{"name":"ada"}}`,
		`{"name":"ada"} {"name":"bob"}`,
		`{"name":"ada"} trailing`,
		`{"name":"ada"}   `,
		`   {"name":"ada"}`,
		`[1,2]`,
		`"text"`,
		`12`,
		`true`,
		`{"name":"` + strings.Repeat("x", 40<<10) + `"}`,
		`{"n":1e400}`,
		`{"tags":{"k":"v","k":"w"}}`,
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		in := inputs[r.IntN(len(inputs))]

		var want decodeTarget
		dec := json.NewDecoder(bytes.NewReader([]byte(in)))
		dec.DisallowUnknownFields()
		wantErr := dec.Decode(&want)

		var got decodeTarget
		err := decodeStrict([]byte(in), &got)
		if wantErr != nil {
			if assert.Error(t, err, in) {
				assert.Equal(t, wantErr.Error(), err.Error(), in)
			}
			continue
		}
		assert.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

// Decoders go back to the pool after the inputs activities get, so that
// the common call does not build a new one.
func TestDecodeStrictReusesDecoders(t *testing.T) {
	var first decodeTarget
	raw := []byte(`{"name":"ada","n":1}`)
	assert.NoError(t, decodeStrict(raw, &first))
	allocs := testing.AllocsPerRun(100, func() {
		var v decodeTarget
		if err := decodeStrict(raw, &v); err != nil {
			t.Fatal(err)
		}
	})
	// A new Decoder alone allocates 3 times (itself, its reader and its
	// buffer).
	assert.LessOrEqual(t, allocs, 2.0)
}
