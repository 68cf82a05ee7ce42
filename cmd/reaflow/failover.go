package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/failover"
	"github.com/reaflow/reaflow/interpreter"
)

// rideOut bounds how long submit keeps sending a run, or following it,
// while Restate does not answer: long enough for a cluster to replace a
// failed node (seconds), short enough that a stopped server is reported.
const rideOut = 2 * time.Minute

// followedAWhile is how long a watch must have run before it failed to
// count as having reached Restate: a failing watch fails at its first
// query, well within this.
const followedAWhile = 10 * time.Second

// sendRun starts the run id, sending it again while Restate cannot take
// it, as happens while a cluster node fails over. Sending again is safe:
// Restate starts at most one run per workflow id. attached reports that
// the run already existed (a second submit with the same id, or a send
// that Restate took just before the answer was lost).
func (m *Main) sendRun(ctx context.Context, target *restateFlags, id string, req interpreter.RunRequest) (attached bool, err error) {
	since := time.Now()
	for attempt := 0; ; attempt++ {
		sent, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](target.ingressClient(), interpreter.WorkflowService, id, "Run").
			Send(ctx, req)
		var answer ingress.Error
		switch {
		case err == nil:
			return sent.Status() == "PreviouslyAccepted", nil
		case errors.As(err, &answer) && answer.Code() == http.StatusConflict:
			// Restate answers 409 "already invoked" for a run it has, and
			// during a failover also for one it took on an earlier attempt
			// whose answer was lost; either way the run goes on.
			return true, nil
		case ctx.Err() != nil || !failover.Unavailable(err) || time.Since(since) > rideOut:
			return false, target.unreachable(err)
		}
		if attempt == 0 {
			fmt.Fprintf(m.Stderr, "restate did not take run %s (%v); sending it again\n", id, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return false, err
		}
	}
}

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
		if time.Since(since) > rideOut {
			return fmt.Errorf("lost contact with Restate for over %s while following run %s: %w; the run goes on in Restate: follow it with 'reaflow status --watch %s' once Restate answers", rideOut, id, err, id)
		}
		fmt.Fprintf(m.Stderr, "restate is unavailable for now (%v); attaching to run %s again\n", err, id)
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}

// pause waits a little longer after each failed attempt, up to 2s.
func pause(ctx context.Context, attempt int) error {
	d := min(250*time.Millisecond<<min(attempt, 3), 2*time.Second)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
