package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/interpreter"
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
	if id == "" {
		id = newRunID(prog.Name)
	}
	if err := checkRunID(id); err != nil {
		return err
	}
	req := interpreter.RunRequest{Definition: definition, Input: input, File: filepath.Base(file)}
	attached, err := m.sendRun(ctx, target, id, req)
	if err != nil {
		return err
	}
	if attached {
		fmt.Fprintf(m.Stdout, "%s already runs as %s; attaching to it\n", prog.Name, id)
	} else {
		fmt.Fprintf(m.Stdout, "submitted %s %s as %s\n", prog.Name, prog.Version, id)
	}
	if !wait {
		return nil
	}
	return m.follow(ctx, target, id)
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

// checkRunID refuses ids that do not fit in a URL path segment as they are:
// the id is the workflow key in every ingress URL.
func checkRunID(id string) error {
	if len(id) > 200 {
		return usagef("the id is %d characters long; use at most 200", len(id))
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:~", r)) {
			return usagef("the id %q has the character %q; use letters, digits and - _ . : ~", id, r)
		}
	}
	return nil
}

// newRunID returns "<definition name>-<6 random base32 characters>": short
// enough to type, unlikely to collide among one definition's runs.
func newRunID(name string) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return name + "-" + string(b)
}
