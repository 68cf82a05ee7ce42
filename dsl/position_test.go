package dsl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseErrorsAreLocated(t *testing.T) {
	for _, tt := range []struct {
		doc, want string
		depth     int
	}{
		{"{\n  \"a\": 1\n  \"b\": 2\n}", `f.json:3:3: invalid JSON: invalid character '"' after object key:value pair`, 10},
		{`{"a": [1, 2}`, `f.json:1:12: invalid JSON: invalid character '}' after array element`, 10},
		{`{"a": `, `f.json:1:7: invalid JSON: unexpected end of input`, 10},
		// A file that ends inside a number or literal ends early; the
		// space encoding/json's scanner adds at the end is not the file's.
		{`-`, `f.json:1:2: invalid JSON: unexpected end of input`, 10},
		{`{"a": tru`, `f.json:1:10: invalid JSON: unexpected end of input`, 10},
		{`[1.`, `f.json:1:4: invalid JSON: unexpected end of input`, 10},
		{`[1e+`, `f.json:1:5: invalid JSON: unexpected end of input`, 10},
		{`[tru `, `f.json:1:5: invalid JSON: invalid character ' ' in literal true (expecting 'e')`, 10},
		// The decoder's offset is where a token starts; the error is
		// located at the offending byte.
		{`{"a": "x\q"}`, `f.json:1:10: invalid JSON: invalid character 'q' in string escape code`, 10},
		{`[1, 2,]`, `f.json:1:7: invalid JSON: invalid character ']' looking for beginning of value`, 10},
		{`[1 2]`, `f.json:1:4: invalid JSON: invalid character '2' after array element`, 10},
		{`{a: 1}`, `f.json:1:2: invalid JSON: invalid character 'a' looking for beginning of object key string`, 10},
		{`{"a" 1}`, `f.json:1:6: invalid JSON: invalid character '1' after object key`, 10},
		{"  ", `f.json:1:3: invalid JSON: unexpected end of input`, 10},
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
