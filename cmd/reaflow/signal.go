package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/reaflow/reaflow/client"
)

type signalCommand struct{ m *Main }

func (*signalCommand) Name() string    { return "signal" }
func (*signalCommand) Summary() string { return "send a run a named signal with a JSON payload" }

func (c *signalCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("signal", "signal ID NAME [JSON|@FILE|@-]", `
reaflow signal order-fulfillment-k3x9q2 approval '{"approved": true, "by": "ana"}'
reaflow signal order-fulfillment-k3x9q2 approval @approval.json`)
	target := c.m.addRestateFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 || fs.NArg() > 3 {
		return usagef("name the run id and the signal, then optionally its JSON payload")
	}
	id, name := fs.Arg(0), fs.Arg(1)
	if err := client.ValidateID(id); err != nil {
		return usagef("%s", err)
	}
	if name == "" {
		return usagef("the signal name is empty")
	}
	// Without a payload the signal carries null.
	payload, err := readJSON(c.m.Stdin, "the payload", fs.Arg(2))
	if err != nil {
		return err
	}
	notDelivered := func(format string, args ...any) error {
		return fmt.Errorf("signal %q not delivered to run %s: %s", name, id, fmt.Sprintf(format, args...))
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	err = cl.Signal(ctx, id, name, payload)
	var (
		finished *client.FinishedError
		refused  *client.RefusedError
	)
	switch {
	case err == nil:
		fmt.Fprintf(c.m.Stdout, "delivered signal %q to run %s\n", name, id)
		return nil
	case errors.Is(err, client.ErrNotFound):
		return notDelivered("there is no such run (check the id with 'reaflow status %s')", id)
	case errors.As(err, &finished):
		return notDelivered("the run has already finished (%s) and awaits no signal; see 'reaflow status %s'", finished.State, id)
	case errors.As(err, &refused) && !refused.ByRun && refused.Code == http.StatusNotFound:
		// Restate itself found no Signal handler to call.
		return notDelivered("%s (the reaflow endpoint registered with Restate does not take signals: register a current one with 'reaflow serve --register')", refused.Message)
	case errors.As(err, &refused):
		// The run refused the signal: no await step of that name (404), a
		// payload that fails the await's schema (400), or a signal already
		// delivered (409). Its message says which.
		return notDelivered("%s", refused.Message)
	}
	return err
}
