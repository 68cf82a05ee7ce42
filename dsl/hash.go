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
func canonical(root *value) []byte {
	var b bytes.Buffer
	writeCanonical(&b, root, true)
	return b.Bytes()
}

func hashOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func writeCanonical(b *bytes.Buffer, v *value, root bool) {
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
		members := slices.Clone(v.members)
		if root {
			members = slices.DeleteFunc(members, func(m member) bool { return m.key == "$schema" })
		}
		slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
		b.WriteByte('{')
		for i, m := range members {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, m.key)
			b.WriteByte(':')
			writeCanonical(b, m.value, false)
		}
		b.WriteByte('}')
	}
}

func writeString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[r>>4])
			b.WriteByte(hexDigits[r&0xF])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
