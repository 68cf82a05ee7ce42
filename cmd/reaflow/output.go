package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/interpreter"
)

type outputCommand struct{ m *Main }

func (*outputCommand) Name() string    { return "output" }
func (*outputCommand) Summary() string { return "print a finished run's output" }

func (c *outputCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("output", "output [--wait] ID", `
reaflow output order-fulfillment-k3x9q2
reaflow output --wait order-fulfillment-k3x9q2`)
	target := c.m.addRestateFlags(fs)
	wait := fs.Bool("wait", false, "wait for the run to finish instead of failing when it has not")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name exactly one workflow id")
	}
	out, err := runOutput(ctx, target, fs.Arg(0), *wait)
	if err != nil {
		return err
	}
	return printJSON(c.m.Stdout, out)
}

// runOutput fetches a run's output, optionally waiting for it. A failed run
// is an error that carries the failing step, as the interpreter reported it.
func runOutput(ctx context.Context, target *restateFlags, id string, wait bool) (json.RawMessage, error) {
	handle := ingress.WorkflowHandle[json.RawMessage](target.ingressClient(), interpreter.WorkflowService, id)
	var (
		out json.RawMessage
		err error
	)
	if wait {
		out, err = handle.Attach(ctx)
	} else {
		out, err = handle.Output(ctx)
	}
	var (
		notFound *ingress.InvocationNotFoundError
		notReady *ingress.InvocationNotReadyError
	)
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &notFound):
		return nil, fmt.Errorf("no run with id %q", id)
	case errors.As(err, &notReady):
		return nil, fmt.Errorf("run %q has not finished yet (use --wait, or 'reaflow status %s')", id, id)
	case restate.IsTerminalError(err):
		return nil, fmt.Errorf("run %q failed: %s", id, restate.AsTerminalError(err).Message())
	default:
		return nil, target.unreachable(err)
	}
}

func printJSON(w io.Writer, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	pretty, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", pretty)
	return err
}
