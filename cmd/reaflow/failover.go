package main

import (
	"context"
	"fmt"
	"time"

	"github.com/reaflow/reaflow/internal/failover"
)

// followedAWhile is how long a watch must have run before it failed to
// count as having reached Restate: a failing watch fails at its first
// query, well within this.
const followedAWhile = 10 * time.Second

// follow watches the run id to its end like watch, and when it loses
// contact with Restate (a node of the cluster died, a partition is
// changing leaders) attaches to the run again, printing its steps anew.
func (m *Main) follow(ctx context.Context, target *restateFlags, id string) error {
	var since time.Time
	for attempt := 0; ; attempt++ {
		started := time.Now()
		err := m.watch(ctx, target, id)
		if err == nil || ctx.Err() != nil || !failover.Unavailable(err) {
			return err
		}
		// A watch that lasted had Restate's answers until it failed: this
		// is a new outage, with a ride-out of its own.
		if since.IsZero() || time.Since(started) > followedAWhile {
			since, attempt = time.Now(), 0
		}
		if time.Since(since) > failover.RideOut {
			return fmt.Errorf("lost contact with Restate for over %s while following run %s: %w; the run goes on in Restate: follow it with 'reaflow status --watch %s' once Restate answers", failover.RideOut, id, err, id)
		}
		fmt.Fprintf(m.Stderr, "restate is unavailable for now (%v); attaching to run %s again\n", err, id)
		if err := failover.Pause(ctx, attempt); err != nil {
			return err
		}
	}
}
