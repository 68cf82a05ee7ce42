package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// document is a scenario file's text with the offset of every value and
// object key by JSON pointer, so that any problem found later, by the
// schema or by the checks against the definition, can be shown where it is.
type document struct {
	file       string
	data       []byte
	values     map[string]int // pointer -> offset of the value
	keys       map[string]int // pointer -> offset of the member's key
	lineStarts []int
}

// maxDepth bounds nesting: the indexer recurses, and no scenario nests
// anywhere near this deep.
const maxDepth = 128

// parseDocument indexes data, which must be one JSON value. A syntax error
// comes back located at the offending byte.
func parseDocument(file string, data []byte) (*document, *Error) {
	doc := &document{file: file, data: data, values: map[string]int{}, keys: map[string]int{}}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			// Offset counts the bytes read, the offending one included.
			return nil, doc.errorAtOffset("", int(syntax.Offset)-1, "invalid JSON: "+syntax.Error())
		}
		return nil, doc.errorAtOffset("", 0, "invalid JSON: "+err.Error())
	}
	s := &indexer{doc: doc}
	if err := s.value("", 0); err != nil {
		return nil, doc.errorAtOffset("", s.pos, err.Error())
	}
	return doc, nil
}

// indexer walks text that json.Unmarshal accepted, so it only needs to
// find where things are, not to report every kind of malformation.
type indexer struct {
	doc *document
	pos int
}

func (s *indexer) space() {
	for s.pos < len(s.doc.data) && strings.IndexByte(" \t\r\n", s.doc.data[s.pos]) >= 0 {
		s.pos++
	}
}

func (s *indexer) value(ptr string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	s.space()
	s.doc.values[ptr] = s.pos
	data := s.doc.data
	switch data[s.pos] {
	case '{':
		s.pos++
		seen := map[string]bool{}
		for {
			s.space()
			if data[s.pos] == '}' {
				s.pos++
				return nil
			}
			if data[s.pos] == ',' {
				s.pos++
				s.space()
			}
			keyAt := s.pos
			raw := s.str()
			var key string
			if err := json.Unmarshal(raw, &key); err != nil {
				return err
			}
			child := ptr + "/" + escapePointer(key)
			if seen[key] {
				s.pos = keyAt
				return fmt.Errorf("duplicate key %q", key)
			}
			seen[key] = true
			s.doc.keys[child] = keyAt
			s.space()
			s.pos++ // ':'
			if err := s.value(child, depth+1); err != nil {
				return err
			}
		}
	case '[':
		s.pos++
		for i := 0; ; i++ {
			s.space()
			if data[s.pos] == ']' {
				s.pos++
				return nil
			}
			if data[s.pos] == ',' {
				s.pos++
			}
			if err := s.value(ptr+"/"+strconv.Itoa(i), depth+1); err != nil {
				return err
			}
		}
	case '"':
		s.str()
	default:
		for s.pos < len(data) && strings.IndexByte(",]} \t\r\n", data[s.pos]) < 0 {
			s.pos++
		}
	}
	return nil
}

// str skips a string literal and returns it with its quotes.
func (s *indexer) str() []byte {
	data, start := s.doc.data, s.pos
	for s.pos++; s.pos < len(data) && data[s.pos] != '"'; s.pos++ {
		if data[s.pos] == '\\' {
			s.pos++
		}
	}
	s.pos++
	return data[start:s.pos]
}

// raw returns the text of the value at ptr, or nil when there is none.
func (d *document) raw(ptr string) json.RawMessage {
	start, ok := d.values[ptr]
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(d.data[start:]))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}

// errorAt locates a problem at the value ptr names, or at its member key
// when atKey is set; a pointer that names nothing falls back to its
// nearest existing parent.
func (d *document) errorAt(ptr string, atKey bool, msg string) *Error {
	for p := ptr; ; p = parentPointer(p) {
		if atKey {
			if off, ok := d.keys[p]; ok {
				return d.errorAtOffset(ptr, off, msg)
			}
		}
		if off, ok := d.values[p]; ok {
			return d.errorAtOffset(ptr, off, msg)
		}
		if p == "" {
			return &Error{File: d.file, Pointer: ptr, Message: msg}
		}
	}
}

func (d *document) errorAtOffset(ptr string, off int, msg string) *Error {
	if d.lineStarts == nil {
		d.lineStarts = []int{0}
		for i, b := range d.data {
			if b == '\n' {
				d.lineStarts = append(d.lineStarts, i+1)
			}
		}
	}
	off = min(max(off, 0), len(d.data))
	line := 0
	for line+1 < len(d.lineStarts) && d.lineStarts[line+1] <= off {
		line++
	}
	start := d.lineStarts[line]
	end := len(d.data)
	if line+1 < len(d.lineStarts) {
		end = d.lineStarts[line+1] - 1
	}
	text := strings.TrimRight(string(d.data[start:end]), "\r")
	return &Error{File: d.file, Pointer: ptr, Line: line + 1, Column: utf8.RuneCount(d.data[start:off]) + 1, Message: msg, source: text}
}

func parentPointer(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ""
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
