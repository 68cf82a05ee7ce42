package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

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
// recurse. A syntax error is returned as an *Error located at the
// offending byte.
//
// The parser is written for this tree rather than built on
// encoding/json's tokenizer, which allocated for every token and was a
// third of the cost of loading a large definition. It accepts exactly
// what encoding/json accepts (FuzzParseMatchesEncodingJSON), and on a
// syntax error asks encoding/json for its message.
func parseDocument(file string, data []byte, maxDepth int) (*document, *Error) {
	doc := &document{file: file, data: data}
	p := &jsonParser{doc: doc, data: data, maxDepth: maxDepth}
	root, err := p.parse(0)
	if err == nil {
		// Anything but whitespace after the top-level value is an error:
		// json.Unmarshal would reject it too.
		if p.skipSpace(); p.pos < len(data) {
			err = p.errorAt(p.pos, "unexpected data after the top-level value")
		}
	}
	if err != nil {
		return doc, err
	}
	doc.root = root
	return doc, nil
}

type jsonParser struct {
	doc      *document
	data     []byte
	pos      int
	maxDepth int
	values   []value // allocated in chunks: a definition has thousands

	// Members and items are gathered on these stacks and copied into the
	// arenas, which hand out slices of the right size, when their object
	// or array ends.
	members     []member
	items       []*value
	memberArena []member
	itemArena   []*value
	// keys holds one copy of each short key: a definition repeats its
	// keys ("id", "activity", "with") in every step.
	keys map[string]string
}

// maxInterned is the length up to which keys are shared.
const maxInterned = 32

func (p *jsonParser) intern(b []byte) string {
	if len(b) > maxInterned {
		return string(b)
	}
	if s, ok := p.keys[string(b)]; ok {
		return s
	}
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	s := string(b)
	p.keys[s] = s
	return s
}

// blockSize is how many values, members or items the parser allocates at
// once: a value takes at least two bytes of JSON ("1,"), most far more, so
// a small document gets small blocks.
func (p *jsonParser) blockSize() int {
	return min(256, len(p.data)/8+8)
}

func (p *jsonParser) newValue(k kind, offset int) *value {
	if len(p.values) == cap(p.values) {
		p.values = make([]value, 0, p.blockSize())
	}
	// The block is zeroed already: set the two fields in place rather
	// than copy a whole value in.
	p.values = p.values[:len(p.values)+1]
	v := &p.values[len(p.values)-1]
	v.kind, v.offset = k, offset
	return v
}

// keep copies list into the arena, a new block of which (of at least block
// elements) it allocates when the current one is full, and returns the copy, capped so that appending
// to it cannot overwrite what follows.
func keep[T any](arena *[]T, list []T, block int) []T {
	if len(list) > cap(*arena)-len(*arena) {
		*arena = make([]T, 0, max(len(list), block))
	}
	start := len(*arena)
	*arena = append(*arena, list...)
	return (*arena)[start:len(*arena):len(*arena)]
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

func (p *jsonParser) parse(depth int) (*value, *Error) {
	p.skipSpace()
	start := p.pos
	if depth > p.maxDepth {
		return nil, p.errorAt(start, fmt.Sprintf("nesting deeper than %d levels", p.maxDepth))
	}
	if p.pos >= len(p.data) {
		return nil, p.syntaxError()
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		v := p.newValue(kindObject, start)
		return v, p.parseMembers(v, depth)
	case c == '[':
		v := p.newValue(kindArray, start)
		p.pos++
		if p.skipSpace(); p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return v, nil
		}
		base := len(p.items)
		for {
			item, err := p.parse(depth + 1)
			if err != nil {
				return nil, err
			}
			item.parent, item.index = v, int32(len(p.items)-base)
			p.items = append(p.items, item)
			if !p.next(']') {
				return nil, p.syntaxError()
			}
			if p.data[p.pos-1] == ']' {
				v.items = keep(&p.itemArena, p.items[base:], p.blockSize())
				p.items = p.items[:base]
				return v, nil
			}
		}
	case c == '"':
		text, ok := p.string(false)
		if !ok {
			return nil, p.syntaxError()
		}
		v := p.newValue(kindString, start)
		v.text = text
		return v, nil
	case c == '-' || c >= '0' && c <= '9':
		if !p.number() {
			return nil, p.syntaxError()
		}
		text := string(p.data[start:p.pos])
		if msg := checkNumber(text); msg != "" {
			return nil, p.errorAt(start, msg)
		}
		v := p.newValue(kindNumber, start)
		v.text = text
		return v, nil
	case p.literal("true"), p.literal("false"):
		v := p.newValue(kindBool, start)
		v.boolean = c == 't'
		return v, nil
	case p.literal("null"):
		return p.newValue(kindNull, start), nil
	}
	return nil, p.syntaxError()
}

// next consumes a ',' or the closing delimiter after an item or member,
// and reports whether it found one.
func (p *jsonParser) next(closing byte) bool {
	p.skipSpace()
	if p.pos < len(p.data) && (p.data[p.pos] == ',' || p.data[p.pos] == closing) {
		p.pos++
		return true
	}
	return false
}

func (p *jsonParser) literal(word string) bool {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return false
	}
	p.pos += len(word)
	return true
}

// number consumes a number as JSON's grammar defines it.
func (p *jsonParser) number() bool {
	d := p.data
	digits := func() int {
		n := 0
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case digits() == 0:
		return false
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return false
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// string consumes a string literal and returns its value. One of plain
// ASCII, the common case, is copied (and shared, for a key); any other is
// decoded by encoding/json, which replaces invalid UTF-8 and lone
// surrogates as Unmarshal does.
func (p *jsonParser) string(key bool) (string, bool) {
	d := p.data
	start := p.pos
	p.pos++
	plain := true
	for p.pos < len(d) {
		switch c := d[p.pos]; {
		case c == '"':
			p.pos++
			if plain && key {
				return p.intern(d[start+1 : p.pos-1]), true
			}
			if plain {
				return string(d[start+1 : p.pos-1]), true
			}
			var s string
			if err := json.Unmarshal(d[start:p.pos], &s); err != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			p.pos += 2
		case c < 0x20:
			return "", false
		case c >= 0x80:
			plain = false
			p.pos++
		default:
			p.pos++
		}
	}
	return "", false
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
	p.pos++ // the '{'
	if p.skipSpace(); p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return nil
	}
	var seen map[string]int // only for large objects; small ones scan
	base := len(p.members)
	for {
		p.skipSpace()
		keyOffset := p.pos
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.syntaxError()
		}
		key, ok := p.string(true)
		if !ok {
			return p.syntaxError()
		}
		if p.skipSpace(); p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.syntaxError()
		}
		p.pos++
		// Duplicate keys are legal JSON but ambiguous: encoding/json keeps
		// the last, editors the first. Reject them.
		members := p.members[base:]
		dup := -1
		if seen != nil {
			if i, ok := seen[key]; ok {
				dup = i
			}
		} else {
			for i := range members {
				if members[i].key == key {
					dup = i
				}
			}
		}
		if dup >= 0 {
			first := p.doc.position(members[dup].keyOffset)
			return p.errorAt(keyOffset, fmt.Sprintf("duplicate key %s (first at line %d)", quoteName(key), first.line))
		}
		val, perr := p.parse(depth + 1)
		if perr != nil {
			return perr
		}
		val.parent, val.index = v, int32(len(p.members)-base)
		p.members = append(p.members, member{key: key, keyOffset: keyOffset, value: val})
		if n := len(p.members) - base; seen == nil && n > 16 {
			seen = make(map[string]int, 32)
			for i, m := range p.members[base:] {
				seen[m.key] = i
			}
		} else if seen != nil {
			seen[key] = n - 1
		}
		if !p.next('}') {
			return p.syntaxError()
		}
		if p.data[p.pos-1] == '}' {
			v.members = keep(&p.memberArena, p.members[base:], p.blockSize())
			p.members = p.members[:base]
			return nil
		}
	}
}

// syntaxError describes the document's first syntax error, which the
// parser has just met, in encoding/json's words and at its offset.
func (p *jsonParser) syntaxError() *Error {
	var syntax *json.SyntaxError
	err := json.Unmarshal(p.data, new(json.RawMessage))
	switch {
	case errors.As(err, &syntax) && (syntax.Error() == "unexpected end of JSON input" || p.endsInToken(syntax)):
		return p.errorAt(len(p.data), "invalid JSON: unexpected end of input")
	case errors.As(err, &syntax):
		// Its offset counts the offending byte.
		return p.errorAt(int(syntax.Offset)-1, "invalid JSON: "+syntax.Error())
	default:
		// encoding/json accepts the document: a disagreement between the
		// two parsers, which FuzzParseMatchesEncodingJSON looks for.
		return p.errorAt(p.pos, "invalid JSON")
	}
}

// endsInToken reports whether err is encoding/json's complaint about a
// document that ends inside a number or a literal ("-", "1.", "tru"): at
// the end of its input the scanner steps over a space it makes up, and
// reports that invalid character ' ', which is not in the file.
func (p *jsonParser) endsInToken(err *json.SyntaxError) bool {
	n := len(p.data)
	return err.Offset == int64(n) && strings.HasPrefix(err.Error(), "invalid character ' '") && (n == 0 || p.data[n-1] != ' ')
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
