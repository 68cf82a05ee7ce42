package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/reaflow/reaflow/client"
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
	if err := client.ValidateID(id); err != nil {
		return usagef("%s", err)
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	invocation, err := cl.Cancel(ctx, id)
	var finished *client.FinishedError
	switch {
	case errors.Is(err, client.ErrNotFound):
		return fmt.Errorf("no such run %q; nothing was cancelled (check the id, or Restate has forgotten a run that ended long ago)", id)
	case errors.As(err, &finished) && finished.State == "":
		return fmt.Errorf("run %s finished before it could be cancelled; see 'reaflow status %s'", id, id)
	case errors.As(err, &finished):
		return fmt.Errorf("run %s has already finished (%s); there is nothing to cancel. See 'reaflow status %s'", id, finished.State, id)
	case err != nil:
		return err
	}
	fmt.Fprintf(c.m.Stdout, "cancelling run %s (invocation %s): it stops at its current step and runs its compensations before it ends\n", id, invocation)
	if !*wait {
		fmt.Fprintf(c.m.Stdout, "follow it with 'reaflow status --watch %s'\n", id)
		return nil
	}
	run, err := cl.Watch(ctx, id, nil)
	if err != nil {
		return err
	}
	if run.State == client.Done {
		return fmt.Errorf("run %s completed before the cancellation reached it; see 'reaflow output %s'", id, id)
	}
	fmt.Fprintf(c.m.Stdout, "run %s cancelled: %s\n", id, run.Error)
	return nil
}
