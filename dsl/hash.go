package dsl

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// canonical is the form a definition is hashed and pinned in: object keys
// sorted by their UTF-8 bytes, no insignificant whitespace, no HTML
// escaping, numbers exactly as written, strings with only the escapes JSON
// requires. The root's "$schema" is left out: it only tells editors where
// the schema file is, and moving a file must not change its identity.
func canonical(root *value, sizeHint int) []byte {
	var b bytes.Buffer
	b.Grow(sizeHint)
	writeCanonical(&b, root, true)
	return b.Bytes()
}

func hashOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// writeCanonical writes v's canonical form to b, and records where in b
// each value is, so that the canonical form of any part of the definition
// is a slice of the whole one.
func writeCanonical(b *bytes.Buffer, v *value, root bool) {
	v.canonStart = int32(b.Len())
	switch v.kind {
	case kindNull:
		b.WriteString("null")
	case kindBool:
		if v.boolean {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case kindNumber:
		b.WriteString(v.text)
	case kindString:
		writeString(b, v.text)
	case kindArray:
		b.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, item, false)
		}
		b.WriteByte(']')
	case kindObject:
		// Write the members in key order without copying them: sort
		// their positions, on the stack for objects of usual size.
		var small [16]int
		order := small[:0]
		for i, m := range v.members {
			if !root || m.key != "$schema" {
				order = append(order, i)
			}
		}
		if len(order) > len(small) {
			slices.SortFunc(order, func(a, b int) int { return strings.Compare(v.members[a].key, v.members[b].key) })
		}
		for i := 1; i < len(order) && len(order) <= len(small); i++ {
			for j := i; j > 0 && v.members[order[j]].key < v.members[order[j-1]].key; j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
		b.WriteByte('{')
		for i, at := range order {
			if i > 0 {
				b.WriteByte(',')
			}
			m := v.members[at]
			writeString(b, m.key)
			b.WriteByte(':')
			writeCanonical(b, m.value, false)
		}
		b.WriteByte('}')
	}
	v.canonEnd = int32(b.Len())
}

func writeString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	// Copy runs of characters that need no escape at once. s is valid
	// UTF-8 (encoding/json's decoder replaces invalid bytes), so bytes of
	// 0x80 and above are copied as they are.
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[run:i])
		run = i + 1
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
	}
	b.WriteString(s[run:])
	b.WriteByte('"')
}
