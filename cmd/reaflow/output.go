package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/reaflow/reaflow/client"
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
	cl, err := target.client()
	if err != nil {
		return nil, err
	}
	var out json.RawMessage
	if wait {
		out, err = cl.Attach(ctx, id)
	} else {
		out, err = cl.Output(ctx, id)
	}
	switch {
	case errors.Is(err, client.ErrNotFound):
		return nil, fmt.Errorf("no run with id %q", id)
	case errors.Is(err, client.ErrNotFinished):
		return nil, fmt.Errorf("run %q has not finished yet (use --wait, or 'reaflow status %s')", id, id)
	}
	return out, err
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
