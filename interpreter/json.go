package interpreter

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// marshalJSON returns exactly what json.Marshal(v) returns, byte for byte,
// but encodes the values that templates and decoded JSON are made of
// (map[string]any, []any, string, float64, int, bool and nil) without
// reflection. json.Marshal walks a map[string]any through reflect, which
// allocates for every key and value; the interpreter encodes each
// activity's rendered input and each run's output this way on every step
// and run. Anything else, and any value this encoder is not certain to
// write as json.Marshal does (a string with characters it would escape, a
// float in exponent form, a value nested very deep, which may be a cycle),
// is left to json.Marshal, so the bytes, and the errors, are the same.
func marshalJSON(v any) ([]byte, error) {
	if b, ok := appendJSON(make([]byte, 0, 256), v, 0); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// maxFastDepth bounds the nesting appendJSON follows. Deeper values go to
// json.Marshal, which detects cycles (a variable that holds itself) instead
// of recursing until the stack overflows.
const maxFastDepth = 64

// appendJSON appends v as json.Marshal encodes it and reports whether it
// could; when it could not, b holds a partial encoding to discard.
func appendJSON(b []byte, v any, depth int) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, v), true
	case string:
		return appendJSONString(b, v), true
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case float64:
		// json.Marshal writes these with 'f' and the rest with 'e' (and
		// refuses NaN and infinities); the rest are rare in workflow
		// data, so json.Marshal keeps them.
		if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21 || math.IsNaN(v)) {
			return b, false
		}
		return strconv.AppendFloat(b, v, 'f', -1, 64), true
	case map[string]any:
		if v == nil {
			return append(b, "null"...), true
		}
		if depth >= maxFastDepth {
			return b, false
		}
		// json.Marshal sorts keys bytewise, as slices.Sort does.
		var small [16]string
		keys := small[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendJSON(b, v[k], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case []any:
		if v == nil {
			return append(b, "null"...), true
		}
		if depth >= maxFastDepth {
			return b, false
		}
		b = append(b, '[')
		for i, item := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSON(b, item, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

// appendJSONString appends s quoted as json.Marshal quotes it. Printable
// ASCII but the characters it escapes (`"`, `\`, and `<`, `>`, `&` for
// HTML) is written as it is; a string with anything else is quoted by
// json.Marshal itself, whose escaping (control characters, invalid UTF-8,
// U+2028 and U+2029) this does not repeat.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// unmarshalJSON returns what json.Unmarshal(data, &v) leaves in v of type
// any, and the same error, but parses the JSON activities return (from
// json.Marshal) without encoding/json's reflection and scanner when it can:
// objects, arrays, numbers, literals and strings without escapes in valid
// UTF-8. Anything else (an escape, which needs unquoting, a number
// strconv cannot hold, a syntax error, nesting deeper than maxFastDepth)
// is left to json.Unmarshal.
func unmarshalJSON(data []byte) (any, error) {
	p := jsonParser{data: data}
	if v, ok := p.value(0); ok {
		if p.skipSpace(); p.pos == len(data) {
			return v, nil
		}
	}
	var v any
	err := json.Unmarshal(data, &v)
	return v, err
}

type jsonParser struct {
	data []byte
	pos  int
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses one value and reports whether it could.
func (p *jsonParser) value(depth int) (any, bool) {
	p.skipSpace()
	if p.pos == len(p.data) {
		return nil, false
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		if depth >= maxFastDepth {
			return nil, false
		}
		p.pos++
		m := map[string]any{}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return m, true
		}
		for {
			p.skipSpace()
			key, ok := p.string()
			if !ok {
				return nil, false
			}
			if p.skipSpace(); p.pos == len(p.data) || p.data[p.pos] != ':' {
				return nil, false
			}
			p.pos++
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			m[key] = v // the last of duplicate keys wins, as in json.Unmarshal
			if p.skipSpace(); p.pos == len(p.data) {
				return nil, false
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
			case '}':
				p.pos++
				return m, true
			default:
				return nil, false
			}
		}
	case c == '[':
		if depth >= maxFastDepth {
			return nil, false
		}
		p.pos++
		s := []any{}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return s, true
		}
		for {
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			s = append(s, v)
			if p.skipSpace(); p.pos == len(p.data) {
				return nil, false
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
			case ']':
				p.pos++
				return s, true
			default:
				return nil, false
			}
		}
	case c == '"':
		return p.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case bytes.HasPrefix(p.data[p.pos:], []byte("true")):
		p.pos += 4
		return true, true
	case bytes.HasPrefix(p.data[p.pos:], []byte("false")):
		p.pos += 5
		return false, true
	case bytes.HasPrefix(p.data[p.pos:], []byte("null")):
		p.pos += 4
		return nil, true
	}
	return nil, false
}

// string parses a string without escapes or control characters, in valid
// UTF-8, which json.Unmarshal takes as it is.
func (p *jsonParser) string() (string, bool) {
	if p.pos == len(p.data) || p.data[p.pos] != '"' {
		return "", false
	}
	start := p.pos + 1
	ascii := true
	for i := start; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			s := p.data[start:i]
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			p.pos = i + 1
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// number parses a number of JSON's grammar into a float64, as
// json.Unmarshal does (with strconv.ParseFloat).
func (p *jsonParser) number() (any, bool) {
	d, start := p.data, p.pos
	i := start
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i == len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i == len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	f, err := strconv.ParseFloat(string(d[start:i]), 64)
	if err != nil {
		return nil, false
	}
	p.pos = i
	return f, true
}
