package rea

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// KeyPart is one element of a step path: a step id, a loop index, or a role
// such as "compensate". The kinds are encoded apart, so a step named "3"
// and loop index 3 never give the same key.
type KeyPart struct {
	kind  byte
	value string
}

// Step is the path element for the step with the given id.
func Step(id string) KeyPart { return KeyPart{kind: 's', value: id} }

// Index is the path element for one iteration of a loop.
func Index(i int) KeyPart { return KeyPart{kind: 'i', value: strconv.Itoa(i)} }

// Role is the path element for a secondary call made on behalf of a step,
// for example its compensation.
func Role(name string) KeyPart { return KeyPart{kind: 'r', value: name} }

// KeyPrefix starts every key made by IdempotencyKey, naming the encoding
// version so keys can evolve without colliding with old ones.
const KeyPrefix = "rf1_"

// IdempotencyKey derives the key for one step call of one workflow run. It
// depends only on its arguments, so it is the same on every retry and
// replay, and every field is length-prefixed before hashing, so different
// inputs cannot encode to the same bytes. The result is 68 ASCII
// characters, within the limits of common provider APIs.
func IdempotencyKey(workflowID string, path ...KeyPart) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	field := func(kind byte, value string) {
		h.Write([]byte{kind})
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(value)))])
		h.Write([]byte(value))
	}
	field('w', workflowID)
	for _, p := range path {
		field(p.kind, p.value)
	}
	return KeyPrefix + hex.EncodeToString(h.Sum(nil))
}
