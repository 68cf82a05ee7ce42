package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/testkit/devstack"
)

type demoCommand struct{ m *Main }

func (*demoCommand) Name() string { return "demo" }
func (*demoCommand) Summary() string {
	return "start everything on free ports, run an example workflow, and stop"
}

func (c *demoCommand) Run(ctx context.Context, args []string) (err error) {
	fs := c.m.newFlagSet("demo", "demo [--workflow FILE] [--input @FILE]", `
reaflow demo
reaflow demo --workflow workflows/order-fulfillment.json --input @workflows/inputs/order-fulfillment.json`)
	file := fs.String("workflow", "workflows/order-fulfillment.json", "the definition to run")
	inputArg := fs.String("input", "@workflows/inputs/order-fulfillment.json", "the run's input: JSON text or @FILE")
	logs := c.m.addLogFlags(fs, slog.LevelError)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	logger, err := logs.logger(c.m)
	if err != nil {
		return err
	}
	definition, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	// Check everything before starting anything.
	prog, err := dsl.Load(*file, definition, (&activityFlag{}).options()...)
	if err != nil {
		printLoadError(c.m.Stderr, err)
		return fmt.Errorf("%s is invalid", *file)
	}
	input, err := readInput(c.m.Stdin, *inputArg)
	if err != nil {
		return err
	}
	if err := prog.ValidateInput(input); err != nil {
		printLoadError(c.m.Stderr, err)
		return fmt.Errorf("the input does not match the input schema of %s", *file)
	}

	fmt.Fprintln(c.m.Stdout, "starting restate-server, the reaflow endpoint and the sandbox providers on loopback...")
	stack, err := devstack.Start(ctx, devstack.WithLogger(logger))
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(c.m.Stdout, "stopping everything")
		err = errors.Join(err, stack.Stop())
	}()
	fmt.Fprintf(c.m.Stdout, "restate ingress %s, admin %s; endpoint %s; sandbox %s\n",
		stack.Restate.IngressURL, stack.Restate.AdminURL, stack.EndpointURL, stack.SandboxURL)
	target := &restateFlags{ingress: stack.Restate.IngressURL, admin: stack.Restate.AdminURL}
	if err := c.m.submit(ctx, target, *file, string(definition), prog, input, "", true); err != nil {
		return err
	}
	ledger := stack.Sandbox.Ledger()
	fmt.Fprintf(c.m.Stdout, "provider ledger: %d effects from %d calls\n", ledger.Totals.Effects, ledger.Totals.Calls)
	for _, e := range ledger.Effects {
		fmt.Fprintf(c.m.Stdout, "  %-9s %s (key %s…)\n", e.Provider, e.Summary, e.IdempotencyKey[:16])
	}
	return nil
}
