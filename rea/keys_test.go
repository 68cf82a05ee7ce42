package rea_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/reaflow/reaflow/rea"
)

func TestIdempotencyKeyIsStable(t *testing.T) {
	a := rea.IdempotencyKey("order-1", rea.Step("charge"))
	b := rea.IdempotencyKey("order-1", rea.Step("charge"))
	assert.Equal(t, a, b)
	assert.Len(t, a, len(rea.KeyPrefix)+64)
	assert.Regexp(t, `^rf1_[0-9a-f]{64}$`, a)
}

func TestIdempotencyKeyIsUnambiguous(t *testing.T) {
	// Each row is a pair of inputs that a naive concatenation would encode
	// to the same bytes.
	cases := []struct {
		name string
		a, b string
	}{
		{"id boundary", rea.IdempotencyKey("a/b", rea.Step("c")), rea.IdempotencyKey("a", rea.Step("b/c"))},
		{"id and step swap", rea.IdempotencyKey("ab", rea.Step("")), rea.IdempotencyKey("a", rea.Step("b"))},
		{"step vs index", rea.IdempotencyKey("w", rea.Step("3")), rea.IdempotencyKey("w", rea.Index(3))},
		{"step vs role", rea.IdempotencyKey("w", rea.Step("compensate")), rea.IdempotencyKey("w", rea.Role("compensate"))},
		{"path split", rea.IdempotencyKey("w", rea.Step("ab")), rea.IdempotencyKey("w", rea.Step("a"), rea.Step("b"))},
		{"loop index", rea.IdempotencyKey("w", rea.Step("s"), rea.Index(1)), rea.IdempotencyKey("w", rea.Step("s"), rea.Index(11))},
		{"path order", rea.IdempotencyKey("w", rea.Step("a"), rea.Step("b")), rea.IdempotencyKey("w", rea.Step("b"), rea.Step("a"))},
		{"length prefix", rea.IdempotencyKey("w", rea.Step("a"), rea.Index(12)), rea.IdempotencyKey("w", rea.Step("a1"), rea.Index(2))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.NotEqual(t, c.a, c.b)
		})
	}
}

// The derivation is part of the contract with providers: a key must never
// change between releases, or a run in flight during an upgrade would send
// a new key and apply its effect twice. This example pins it.
func ExampleIdempotencyKey() {
	// The key of the third iteration of step "notify" in run "order-1".
	fmt.Println(rea.IdempotencyKey("order-1", rea.Step("notify"), rea.Index(2)))
	// Output:
	// rf1_986df076eee1b799be7070a3a7ea6d1a410e9251423c4691b2167c02024b3ca3
}
