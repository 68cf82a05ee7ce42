package interpreter

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// marshalJSON must write what json.Marshal writes, byte for byte: its
// output is journaled (a run's output, an activity's input inside a dedup
// call) and compared across replays.
func TestMarshalJSONIsJSONMarshal(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	values := []any{
		nil, true, false, 0, -7, math.MaxInt64, math.MinInt64,
		0.0, math.Copysign(0, -1), 1.5, -12.25, 1e-6, 1e-7, 123456789e12, 1e21, 1e20, math.MaxFloat64, math.SmallestNonzeroFloat64, 1.0 / 3,
		math.NaN(), math.Inf(1), math.Inf(-1),
		"", "plain", `quote " and \ backslash`, "<b>&</b>", "tab\tnew\nline\r\x00\x1f\x7f", "ünïcode ✓", "\u2028\u2029", "bad \xff utf-8",
		map[string]any(nil), map[string]any{}, []any(nil), []any{},
		map[string]any{"b": 1, "a": []any{1.5, "x", nil, map[string]any{"z": true, "<": ">"}}, "ä": "ö", "A": 2, "": 0},
		[]any{map[string]any{"n": math.NaN()}},
		[]string{"a", "b"}, map[string]string{"k": "v"}, int64(3), float32(0.1), json.Number("12"), json.RawMessage(`{"a" : 1}`),
		map[string]any{"deep": deep(maxFastDepth + 5)},
		cyclic,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		values = append(values, randomValue(r, 4))
	}
	for _, v := range values {
		want, wantErr := json.Marshal(v)
		got, err := marshalJSON(v)
		if wantErr != nil {
			require.Error(t, err, "%#v", v)
			assert.Equal(t, wantErr.Error(), err.Error())
			continue
		}
		require.NoError(t, err, "%#v", v)
		assert.Equal(t, string(want), string(got), "%#v", v)
	}
}

// The values a plain step renders take the fast path rather than falling
// back to json.Marshal every time.
func TestMarshalJSONFastPath(t *testing.T) {
	for _, v := range []any{
		map[string]any{"order": "A-1001", "amount": 42.5, "ref": "s1", "items": []any{1, 2.5, true, nil}},
		map[string]any{"s1": map[string]any{"ref": "s1"}, "s2": map[string]any{"ref": "s2"}},
	} {
		_, ok := appendJSON(nil, v, 0)
		assert.True(t, ok, "%#v", v)
	}
}

func deep(n int) any {
	var v any = "bottom"
	for i := range n {
		if i%2 == 0 {
			v = []any{v}
		} else {
			v = map[string]any{"k": v}
		}
	}
	return v
}

// randomValue builds a value of the kinds templates produce, with strings
// and numbers drawn to hit every branch of the encoder.
func randomValue(r *rand.Rand, depth int) any {
	kind := r.IntN(8)
	if depth == 0 {
		kind = r.IntN(5)
	}
	switch kind {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return randomString(r)
	case 3:
		if r.IntN(2) == 0 {
			return r.IntN(2000) - 1000
		}
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(50)-25))
	case 4:
		return float64(r.IntN(1000))
	case 5, 6:
		m := map[string]any{}
		for range r.IntN(20) {
			m[randomString(r)] = randomValue(r, depth-1)
		}
		return m
	default:
		s := make([]any, r.IntN(5))
		for i := range s {
			s[i] = randomValue(r, depth-1)
		}
		return s
	}
}

func randomString(r *rand.Rand) string {
	const alphabet = "abcXYZ019 _-.:/${}\"\\<>&\t\n\x01\x7fé✓\u2028"
	runes := []rune(alphabet)
	var b strings.Builder
	for range r.IntN(12) {
		if r.IntN(4) == 0 {
			b.WriteRune(runes[r.IntN(len(runes))])
		} else {
			b.WriteByte("abcdefghij"[r.IntN(10)])
		}
	}
	if r.IntN(50) == 0 {
		b.WriteByte(0xff)
	}
	return b.String()
}

// unmarshalJSON must leave what json.Unmarshal leaves in an any, with the
// same error, for any bytes: valid JSON in every shape, JSON as activities
// return it, and broken JSON.
func TestUnmarshalJSONIsJSONUnmarshal(t *testing.T) {
	texts := []string{
		``, ` `, `null`, `true`, `false`, `nul`, `truex`, `[true false]`, `0`, `-0`, `-`, `01`, `1.`, `.5`, `1e`, `1e+`, `1E-2`, `-12.5e3`, `1e400`, `-1e400`, `1e-400`,
		`123456789012345678901234567890`, `"plain"`, `"esc\"aped"`, `"\u00e9"`, `"tab	in"`, `"ünï ✓"`, "\"bad \xff\"", `"unterminated`,
		`{}`, `[]`, `{ }`, `[ ]`, ` {"a" : 1 , "b":[1, 2 ,{"c":null}] } `, `{"a":1,}`, `[1,]`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1}x`, `{"a":1} {"b":2}`,
		`{"k":1,"k":2}`, `[[[[[[]]]]]]`, `{"ref":"s1"}`, "\t[1]\r\n",
	}
	deepText, _ := json.Marshal(deep(maxFastDepth + 5))
	texts = append(texts, string(deepText))
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		text, err := json.Marshal(randomValue(r, 4))
		require.NoError(t, err)
		texts = append(texts, string(text))
		// The same with a byte changed, to break it in every place.
		if len(text) > 0 {
			broken := []byte(string(text))
			const junk = "{}[]\",:0-e. \\ax"
			broken[r.IntN(len(broken))] = junk[r.IntN(len(junk))]
			texts = append(texts, string(broken))
		}
	}
	for _, text := range texts {
		var want any
		wantErr := json.Unmarshal([]byte(text), &want)
		got, err := unmarshalJSON([]byte(text))
		if wantErr != nil {
			if assert.Error(t, err, text) {
				assert.Equal(t, wantErr.Error(), err.Error(), text)
			}
			continue
		}
		require.NoError(t, err, text)
		assert.Equal(t, want, got, text)
	}
}

// What activities return takes the fast path.
func TestUnmarshalJSONFastPath(t *testing.T) {
	for _, text := range []string{`{"ref":"s1"}`, `{"a":[1,-2.5e3,true,false,null,"ünï"],"b":{}}`} {
		p := jsonParser{data: []byte(text)}
		_, ok := p.value(0)
		assert.True(t, ok && p.pos == len(text), text)
	}
}
