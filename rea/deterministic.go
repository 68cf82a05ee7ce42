package rea

import (
	"math/rand/v2"

	restate "github.com/restatedev/sdk-go"
)

// DeterministicHelpers give random values that are the same on every replay
// of an invocation, because Restate seeds them from the invocation id. Use
// them on the handler context, never inside a Run.
type DeterministicHelpers struct {
	ctx restate.Context
}

// NewDeterministicHelpers returns helpers bound to a handler context.
func NewDeterministicHelpers(ctx restate.Context) DeterministicHelpers {
	return DeterministicHelpers{ctx: ctx}
}

// UUID returns a version 4 UUID that replays identically.
func (d DeterministicHelpers) UUID() string { return restate.UUID(d.ctx).String() }

// Rand returns a random generator that replays identically.
func (d DeterministicHelpers) Rand() *rand.Rand { return restate.Rand(d.ctx) }
