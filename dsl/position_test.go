package dsl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseCases are documents whose parse exercises the corners of JSON's
// grammar; FuzzParseMatchesEncodingJSON starts from them.
var parseCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `-0.5e+10`, `1E-2`, `true`, `false`, `null`, ` {"a" : [ 1 , 2 ] } `,
	`{"a":"\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"}`, `{"lone":"\ud800"}`, "{\"bad\":\"\xff\xfe\"}", `{"é": "ü"}`,
	// Invalid ones.
	``, ` `, `{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `[+1]`, `tru`, `nul`,
	`"a`, "\"tab\there\"", `"\x"`, `"\u12"`, `[1 2]`, `{"a":1 "b":2}`, `[1]]`, `{} x`, "\xef\xbb\xbf{}", `[1,,2]`,
}

func TestParseMatchesEncodingJSON(t *testing.T) {
	for _, doc := range parseCases {
		checkParse(t, []byte(doc))
	}
	files, err := filepath.Glob("testdata/*/*.json")
	require.NoError(t, err)
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		checkParse(t, data)
	}
}

func TestParseErrorsAreLocated(t *testing.T) {
	for _, tt := range []struct {
		doc, want string
		depth     int
	}{
		{"{\n  \"a\": 1\n  \"b\": 2\n}", `f.json:3:3: invalid JSON: invalid character '"' after object key:value pair`, 10},
		{`{"a": [1, 2}`, `f.json:1:12: invalid JSON: invalid character '}' after array element`, 10},
		{`{"a": `, `f.json:1:7: invalid JSON: unexpected end of input`, 10},
		// encoding/json's scanner ends a number or literal with a space of
		// its own, which is not to be blamed on the file.
		{`-`, `f.json:1:2: invalid JSON: unexpected end of input`, 10},
		{`{"a": tru`, `f.json:1:10: invalid JSON: unexpected end of input`, 10},
		{`[1.`, `f.json:1:4: invalid JSON: unexpected end of input`, 10},
		{`[1e+`, `f.json:1:5: invalid JSON: unexpected end of input`, 10},
		{`[tru `, `f.json:1:5: invalid JSON: invalid character ' ' in literal true (expecting 'e')`, 10},
		{`{"a": 1} {"b": 2}`, `f.json:1:10: unexpected data after the top-level value`, 10},
		{`{"a": 1, "a": 2}`, `f.json:1:10: duplicate key "a" (first at line 1)`, 10},
		{`{"n": 1e999}`, `f.json:1:7: number 1e999 is out of range: numbers must fit a 64-bit float (at most about 1.8e308)`, 10},
		{`[[[1]]]`, `f.json:1:3: nesting deeper than 1 levels`, 1},
	} {
		_, err := parseDocument("f.json", []byte(tt.doc), tt.depth)
		require.NotNil(t, err, tt.doc)
		assert.Equal(t, tt.want, strings.SplitN(err.Error(), "\n", 2)[0], tt.doc)
	}
}

// checkParse compares parseDocument with encoding/json on one document:
// both accept it or both refuse it (apart from what parseDocument refuses
// on purpose: duplicate keys, numbers out of range, deep nesting), and an
// accepted one decodes to the same value.
func checkParse(t *testing.T, data []byte) {
	t.Helper()
	doc, perr := parseDocument("fuzz.json", data, DefaultMaxDepth)
	var want any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	jerr := json.Unmarshal(data, new(json.RawMessage))
	if jerr == nil {
		jerr = dec.Decode(&want)
	}
	if perr != nil {
		deliberate := strings.Contains(perr.Message, "duplicate key") || strings.Contains(perr.Message, "number") || strings.Contains(perr.Message, "nesting")
		if !deliberate {
			assert.Error(t, jerr, "parseDocument refuses what encoding/json accepts: %q: %v", data, perr)
		}
		return
	}
	require.NoError(t, jerr, "parseDocument accepts what encoding/json refuses: %q", data)
	assert.Equal(t, want, doc.root.toAny(), "%q", data)
}

func FuzzParseMatchesEncodingJSON(f *testing.F) {
	for _, doc := range parseCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data)
	})
}
