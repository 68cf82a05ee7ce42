package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// value is one node of a parsed JSON document. Unlike the result of
// json.Unmarshal it keeps object members in document order (set steps
// assign in that order), numbers as written (the canonical form keeps
// them), and the byte offset of every value and key, so any JSON pointer
// can be turned into a line and column.
//
// A definition has thousands of values, so the fields are packed.
type value struct {
	kind    kind
	boolean bool
	index   int32  // the value's position in its parent's members or items
	parent  *value // nil for the document's root
	ptr     string // the JSON pointer, once pointer has built it
	offset  int    // of the value's first byte
	text    string // a string's decoded value, or a number's literal
	members []member
	items   []*value

	// canonStart and canonEnd locate the value in the canonical form last
	// written of a tree holding it (see writeCanonical).
	canonStart, canonEnd int32
}

type member struct {
	key       string
	keyOffset int
	value     *value
}

// pointer returns the JSON pointer of v from the document's root. It is
// built when first asked for (for messages, and for the parts of a
// definition that keep one), from its parent's, which is kept too: the
// values asked for are few, and share their ancestors.
func (v *value) pointer() string {
	if v.parent == nil || v.ptr != "" {
		return v.ptr
	}
	var token string
	if v.parent.kind == kindArray {
		token = strconv.Itoa(int(v.index))
	} else {
		token = escapePointer(v.parent.members[v.index].key)
	}
	v.ptr = v.parent.pointer() + "/" + token
	return v.ptr
}

// get returns the member named key, or nil. Objects in definitions are
// small, so a linear scan beats building maps for every object.
func (v *value) get(key string) *value {
	if v == nil || v.kind != kindObject {
		return nil
	}
	for i := range v.members {
		if v.members[i].key == key {
			return v.members[i].value
		}
	}
	return nil
}

// str returns v's string value and whether v is a string.
func (v *value) str() (string, bool) {
	if v == nil || v.kind != kindString {
		return "", false
	}
	return v.text, true
}

// document is a parsed JSON file: its bytes, its tree and a line index.
type document struct {
	file       string
	data       []byte
	root       *value
	lineStarts []int // byte offset of the start of every line, built on demand

	// A definition may be one long line with thousands of errors (a
	// minified file): each line's text is copied once, and columns are
	// counted on from the previous error's when it is on the same line.
	lines   map[int]string
	lastPos position
	lastOff int
}

// parseDocument decodes data into a value tree, nested at most maxDepth
// deep: deeper JSON is not a workflow anyone writes, and the tree walkers
// recurse. The tokens come from encoding/json's Decoder, which decodes
// strings as Unmarshal does (invalid UTF-8 and lone surrogates replaced);
// the tree adds what Unmarshal drops: member order, numbers as written and
// every value's offset. A syntax error is returned as an *Error located
// at the offending byte.
func parseDocument(file string, data []byte, maxDepth int) (*document, *Error) {
	doc := &document{file: file, data: data}
	p := &jsonParser{doc: doc, dec: json.NewDecoder(bytes.NewReader(data)), maxDepth: maxDepth}
	p.dec.UseNumber()
	root, err := p.parse(0)
	if err == nil {
		// Anything but whitespace after the top-level value is an error:
		// json.Unmarshal would reject it too.
		if rest := bytes.TrimLeft(data[p.dec.InputOffset():], jsonSpace); len(rest) > 0 {
			err = p.errorAt(len(data)-len(rest), "unexpected data after the top-level value")
		}
	}
	if err != nil {
		return doc, err
	}
	doc.root = root
	return doc, nil
}

// jsonSpace is the white space JSON allows between tokens.
const jsonSpace = " \t\n\r"

type jsonParser struct {
	doc      *document
	dec      *json.Decoder
	maxDepth int
}

// valueStart is the offset of the next token: the decoder reports the end
// of the previous one, before the white space and separator that follow.
func (p *jsonParser) valueStart() int {
	data := p.doc.data
	i := int(p.dec.InputOffset())
	for i < len(data) && (strings.IndexByte(jsonSpace, data[i]) >= 0 || data[i] == ':' || data[i] == ',') {
		i++
	}
	return i
}

func (p *jsonParser) parse(depth int) (*value, *Error) {
	start := p.valueStart()
	if depth > p.maxDepth {
		return nil, p.errorAt(start, fmt.Sprintf("nesting deeper than %d levels", p.maxDepth))
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxError(err)
	}
	v := &value{offset: start}
	switch t := tok.(type) {
	case nil:
		v.kind = kindNull
	case bool:
		v.kind, v.boolean = kindBool, t
	case json.Number:
		if msg := checkNumber(string(t)); msg != "" {
			return nil, p.errorAt(start, msg)
		}
		v.kind, v.text = kindNumber, string(t)
	case string:
		v.kind, v.text = kindString, t
	case json.Delim:
		if t == '[' {
			v.kind = kindArray
			for p.dec.More() {
				item, err := p.parse(depth + 1)
				if err != nil {
					return nil, err
				}
				item.parent, item.index = v, int32(len(v.items))
				v.items = append(v.items, item)
			}
		} else {
			v.kind = kindObject
			if err := p.parseMembers(v, depth); err != nil {
				return nil, err
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.syntaxError(err)
		}
	}
	return v, nil
}

// maxNumberLen bounds a number's literal. Numbers are kept as written (the
// canonical form and the schema checks use the text), and the schema
// validator computes with them exactly: a literal of a million digits, or
// 1e-9999999, would cost it seconds and megabytes. No value a workflow
// uses needs more digits than a float64 shows.
const maxNumberLen = 400

// checkNumber refuses a number a float64 cannot hold (1e400), and one
// whose literal is long or whose exponent is far beyond a float64's range
// (1e-9999999, which rounds to 0): see maxNumberLen.
func checkNumber(text string) string {
	if len(text) > maxNumberLen {
		return fmt.Sprintf("number is %d characters long, more than the limit of %d", len(text), maxNumberLen)
	}
	if _, err := strconv.ParseFloat(text, 64); err != nil {
		return fmt.Sprintf("number %s is out of range: numbers must fit a 64-bit float (at most about 1.8e308)", text)
	}
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		if exp, err := strconv.Atoi(strings.TrimPrefix(text[i+1:], "+")); err != nil || exp < -400 || exp > 400 {
			return fmt.Sprintf("number %s is out of range: its exponent must be between -400 and 400", text)
		}
	}
	return ""
}

func (p *jsonParser) parseMembers(v *value, depth int) *Error {
	var seen map[string]int // only for large objects; small ones scan
	for p.dec.More() {
		keyOffset := p.valueStart()
		tok, err := p.dec.Token()
		if err != nil {
			return p.syntaxError(err)
		}
		// Where a key is due, the decoder returns a string or an error.
		key := tok.(string)
		// Duplicate keys are legal JSON but ambiguous: encoding/json keeps
		// the last, editors the first. Reject them.
		dup, found := seen[key]
		if seen == nil {
			dup = slices.IndexFunc(v.members, func(m member) bool { return m.key == key })
			found = dup >= 0
		}
		if found {
			first := p.doc.position(v.members[dup].keyOffset)
			return p.errorAt(keyOffset, fmt.Sprintf("duplicate key %s (first at line %d)", quoteName(key), first.line))
		}
		val, perr := p.parse(depth + 1)
		if perr != nil {
			return perr
		}
		val.parent, val.index = v, int32(len(v.members))
		v.members = append(v.members, member{key: key, keyOffset: keyOffset, value: val})
		if seen == nil && len(v.members) > 16 {
			seen = make(map[string]int, 32)
			for i, m := range v.members {
				seen[m.key] = i
			}
		} else if seen != nil {
			seen[key] = len(v.members) - 1
		}
	}
	return nil
}

// syntaxError describes the syntax error the decoder met. The decoder's
// offsets say where the token it was reading starts, not which byte is
// wrong, so the error is taken from encoding/json's check of the whole
// document, which finds the same first error and counts the offending
// byte.
func (p *jsonParser) syntaxError(err error) *Error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errorAt(len(p.doc.data), "invalid JSON: unexpected end of input")
	}
	var syntax *json.SyntaxError
	if errors.As(json.Unmarshal(p.doc.data, new(json.RawMessage)), &syntax) {
		return p.errorAt(int(syntax.Offset)-1, "invalid JSON: "+syntax.Error())
	}
	return p.errorAt(p.valueStart(), "invalid JSON: "+err.Error())
}

func (p *jsonParser) errorAt(offset int, msg string) *Error {
	return p.doc.errorAt("", offset, msg)
}

// escapePointer escapes a key as a JSON pointer reference token (RFC 6901).
func escapePointer(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

// lookup resolves a JSON pointer to the value it names, and the offset of
// the member's key when the last token names an object member (-1 when
// not). It returns nil for a pointer that does not resolve.
func (d *document) lookup(ptr string) (v *value, keyOffset int) {
	v, keyOffset = d.root, -1
	if ptr == "" {
		return v, -1
	}
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch {
		case v == nil:
			return nil, -1
		case v.kind == kindObject:
			next := (*value)(nil)
			for _, m := range v.members {
				if m.key == tok {
					next, keyOffset = m.value, m.keyOffset
				}
			}
			v = next
		case v.kind == kindArray:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v.items) {
				return nil, -1
			}
			v, keyOffset = v.items[i], -1
		default:
			return nil, -1
		}
	}
	return v, keyOffset
}

// position is a 1-based line and column; the column counts runes
// (characters), which is what people count when they read a caret snippet.
type position struct{ line, column int }

func (d *document) position(offset int) position {
	if d.lineStarts == nil {
		d.lineStarts = []int{0}
		for i, b := range d.data {
			if b == '\n' {
				d.lineStarts = append(d.lineStarts, i+1)
			}
		}
	}
	offset = min(max(offset, 0), len(d.data))
	line := sort.Search(len(d.lineStarts), func(i int) bool { return d.lineStarts[i] > offset }) - 1
	pos := position{line: line + 1}
	if d.lastPos.line == pos.line && offset >= d.lastOff {
		pos.column = d.lastPos.column + utf8.RuneCount(d.data[d.lastOff:offset])
	} else {
		pos.column = utf8.RuneCount(d.data[d.lineStarts[line]:offset]) + 1
	}
	d.lastPos, d.lastOff = pos, offset
	return pos
}

// lineText returns the text of the 1-based line, without its newline.
func (d *document) lineText(line int) string {
	if line < 1 || line > len(d.lineStarts) {
		return ""
	}
	if text, ok := d.lines[line]; ok {
		return text
	}
	start := d.lineStarts[line-1]
	end := len(d.data)
	if line < len(d.lineStarts) {
		end = d.lineStarts[line] - 1
	}
	text := strings.TrimRight(string(d.data[start:end]), "\r")
	if d.lines == nil {
		d.lines = map[int]string{}
	}
	d.lines[line] = text
	return text
}

// errorAt builds an Error for ptr located at a byte offset of the file.
func (d *document) errorAt(ptr string, offset int, msg string) *Error {
	pos := d.position(offset)
	return &Error{File: d.file, Pointer: ptr, Line: pos.line, Column: pos.column, Message: msg, source: d.lineText(pos.line)}
}

// errorAtPointer builds an Error located at the value ptr names, or at its
// key when atKey is set (an unknown property is best shown by its name).
// A pointer that does not resolve falls back to the nearest parent.
func (d *document) errorAtPointer(ptr string, atKey bool, msg string) *Error {
	for p := ptr; ; p = p[:strings.LastIndexByte(p, '/')] {
		if v, keyOffset := d.lookup(p); v != nil {
			offset := v.offset
			if atKey && keyOffset >= 0 && p == ptr {
				offset = keyOffset
			}
			return d.errorAt(ptr, offset, msg)
		}
		if p == "" {
			return &Error{File: d.file, Pointer: ptr, Message: msg}
		}
	}
}

// stringOffset maps a byte index into the decoded value of the string
// literal starting at offset (its opening quote) to the file offset of the
// corresponding source byte, accounting for escapes. Expressions live in
// strings, and their errors should point at the offending character.
func (d *document) stringOffset(offset, decoded int) int {
	raw := d.data[offset:]
	i, n := 1, 0 // skip the quote; n counts decoded bytes
	for i < len(raw) && raw[i] != '"' && n < decoded {
		if raw[i] != '\\' {
			i++
			n++
			continue
		}
		if i+1 >= len(raw) {
			break
		}
		if raw[i+1] != 'u' {
			i += 2
			n++
			continue
		}
		r := hexRune(raw[i+2:])
		i += 6
		if r >= 0xD800 && r < 0xDC00 && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
			if lo := hexRune(raw[i+2:]); lo >= 0xDC00 && lo < 0xE000 {
				i += 6
				n += 4
				continue
			}
		}
		if size := utf8.RuneLen(r); size > 0 {
			n += size
		} else {
			n += 3 // a lone surrogate decodes to U+FFFD
		}
	}
	return offset + min(i, len(raw))
}

func hexRune(b []byte) rune {
	if len(b) < 4 {
		return utf8.RuneError
	}
	r, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return utf8.RuneError
	}
	return rune(r)
}

// toAny converts a tree to the values json.Unmarshal would produce with
// UseNumber, for the JSON Schema validator.
func (v *value) toAny() any {
	switch v.kind {
	case kindBool:
		return v.boolean
	case kindNumber:
		return json.Number(v.text)
	case kindString:
		return v.text
	case kindArray:
		out := make([]any, len(v.items))
		for i, item := range v.items {
			out[i] = item.toAny()
		}
		return out
	case kindObject:
		out := make(map[string]any, len(v.members))
		for _, m := range v.members {
			out[m.key] = m.value.toAny()
		}
		return out
	}
	return nil
}
