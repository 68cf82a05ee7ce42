package rea

import (
	"math/rand/v2"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/internal/journalname"
)

// DeterministicHelpers give random values and the time, the same on every
// replay of an invocation: Restate seeds the random values from the
// invocation id, and the time is journaled. Use
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

// Now returns the current time (UTC), read once in a journaled Run named
// "now": a replay gets the time the first execution read.
func (d DeterministicHelpers) Now() (time.Time, error) {
	return restate.Run(d.ctx, func(restate.RunContext) (time.Time, error) { return time.Now().UTC(), nil }, restate.WithName(journalname.ClockRun))
}
