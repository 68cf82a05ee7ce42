package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reaflow/reaflow/internal/admin"
)

type cancelCommand struct{ m *Main }

func (*cancelCommand) Name() string    { return "cancel" }
func (*cancelCommand) Summary() string { return "cancel a run; its compensations run before it ends" }

func (c *cancelCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("cancel", "cancel [--wait] ID", `
reaflow cancel order-fulfillment-k3x9q2
reaflow cancel --wait order-fulfillment-k3x9q2`)
	target := c.m.addRestateFlags(fs)
	wait := fs.Bool("wait", false, "wait until the run has ended (after its compensations) and print how it ended")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name exactly one workflow id")
	}
	id := fs.Arg(0)
	if err := checkRunID(id); err != nil {
		return err
	}
	run, err := findRun(ctx, target, id)
	switch {
	case errors.Is(err, errNoInvocation):
		return fmt.Errorf("no such run %q; nothing was cancelled (check the id, or Restate has forgotten a run that ended long ago)", id)
	case err != nil:
		return err
	case run.completed():
		return fmt.Errorf("run %s has already finished (%s); there is nothing to cancel. See 'reaflow status %s'", id, run.outcome(), id)
	}
	err = target.adminClient().CancelInvocation(ctx, run.ID)
	switch {
	case errors.Is(err, admin.ErrInvocationCompleted):
		return fmt.Errorf("run %s finished before it could be cancelled; see 'reaflow status %s'", id, id)
	case errors.Is(err, admin.ErrInvocationNotFound):
		return fmt.Errorf("no such run %q; nothing was cancelled", id)
	case err != nil:
		return err
	}
	fmt.Fprintf(c.m.Stdout, "cancelling run %s (invocation %s): it stops at its current step and runs its compensations before it ends\n", id, run.ID)
	if !*wait {
		fmt.Fprintf(c.m.Stdout, "follow it with 'reaflow status --watch %s'\n", id)
		return nil
	}
	for !run.completed() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(watchInterval):
		}
		if run, err = findRun(ctx, target, id); err != nil {
			return err
		}
	}
	if run.Result == "success" {
		return fmt.Errorf("run %s completed before the cancellation reached it; see 'reaflow output %s'", id, id)
	}
	fmt.Fprintf(c.m.Stdout, "run %s cancelled: %s\n", id, run.Failure)
	return nil
}
