package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/dsl"
)

type submitCommand struct{ m *Main }

func (*submitCommand) Name() string    { return "submit" }
func (*submitCommand) Summary() string { return "start a run of a definition, and optionally watch it" }

func (c *submitCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("submit", "submit FILE|NAME[@VERSION] [--input JSON|@FILE] [--id ID] [--wait]", `
reaflow submit workflows/order-fulfillment.json --input @workflows/inputs/order-fulfillment.json --wait
reaflow submit my-flow.json --input '{"orderId": "o-1", "amount": 42}' --id order-o-1
reaflow submit order-fulfillment@1.0.0 --input @workflows/inputs/order-fulfillment.json`)
	target := c.m.addRestateFlags(fs)
	known := c.m.addActivityFlag(fs)
	inputArg := fs.String("input", "", "the run's input: JSON text, or @FILE to read it from a file, or @- for stdin")
	id := fs.String("id", "", "workflow id; a readable one is generated when empty. A second submit with the same id attaches to the first run")
	wait := fs.Bool("wait", false, "show each step as it completes and print the output at the end")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name exactly one definition file, or a deployed definition as NAME[@VERSION]")
	}
	file := fs.Arg(0)
	var definition []byte
	if isDeployedRef(file) {
		deployed, err := fetchDeployed(ctx, target, file)
		if err != nil {
			return err
		}
		definition, file = []byte(deployed.Definition), deployed.File
	} else {
		var err error
		if definition, err = os.ReadFile(file); err != nil {
			return err
		}
	}
	prog, err := dsl.Load(file, definition, append(known.options(), childFiles(file))...)
	if err != nil {
		printLoadError(c.m.Stderr, err)
		return fmt.Errorf("%s is invalid; nothing was submitted", file)
	}
	printWarnings(c.m.Stderr, prog)
	if prog.Inlined {
		// The run must pin the child definitions too: send the form with
		// the files inlined.
		definition = prog.Canonical
	}
	input, err := readInput(c.m.Stdin, *inputArg)
	if err != nil {
		return err
	}
	if err := prog.ValidateInput(input); err != nil {
		printLoadError(c.m.Stderr, err)
		return fmt.Errorf("the input does not match the input schema of %s; nothing was submitted", file)
	}
	return c.m.submit(ctx, target, file, string(definition), prog, input, *id, *wait)
}

// submit starts a run of a checked definition and, with wait, watches it
// to the end. A failed run is an error.
func (m *Main) submit(ctx context.Context, target *restateFlags, file, definition string, prog *dsl.Program, input json.RawMessage, id string, wait bool) error {
	c, err := target.client()
	if err != nil {
		return err
	}
	sent, err := c.Submit(ctx, client.SubmitRequest{
		Definition: []byte(definition), File: filepath.Base(file), Input: input, ID: id,
		OnResend: func(id string, err error) {
			fmt.Fprintf(m.Stderr, "restate did not take run %s (%v); sending it again\n", id, err)
		},
	})
	if errors.Is(err, client.ErrInvalidID) {
		return usagef("%s", err)
	}
	if err != nil {
		return err
	}
	if sent.Attached {
		fmt.Fprintf(m.Stdout, "%s already runs as %s; attaching to it\n", prog.Name, sent.ID)
	} else {
		fmt.Fprintf(m.Stdout, "submitted %s %s as %s\n", prog.Name, prog.Version, sent.ID)
	}
	if !wait {
		return nil
	}
	return m.follow(ctx, target, sent.ID)
}

// readInput reads --input: inline JSON, @file, or @- for stdin.
func readInput(stdin io.Reader, arg string) (json.RawMessage, error) {
	return readJSON(stdin, "--input", arg)
}

// readJSON reads a JSON argument given as inline JSON, @file, or @- for
// stdin; what names the argument in errors. An empty arg is no value (nil).
func readJSON(stdin io.Reader, what, arg string) (json.RawMessage, error) {
	var data []byte
	switch {
	case arg == "":
		return nil, nil
	case arg == "@-":
		var err error
		if data, err = io.ReadAll(stdin); err != nil {
			return nil, fmt.Errorf("%s @-: %w", what, err)
		}
	case strings.HasPrefix(arg, "@"):
		var err error
		if data, err = os.ReadFile(arg[1:]); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	default:
		data = []byte(arg)
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return nil, fmt.Errorf("%s is not valid JSON: %v", what, err)
	}
	return data, nil
}
