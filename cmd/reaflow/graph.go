package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/graph"
)

type graphCommand struct{ m *Main }

func (*graphCommand) Name() string { return "graph" }
func (*graphCommand) Summary() string {
	return "draw a definition as a Mermaid or DOT graph, optionally coloured by a run"
}

func (c *graphCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("graph", "graph FILE [--format mermaid|dot] [--run ID]", `
reaflow graph workflows/trip-booking.json > trip.mmd
reaflow graph workflows/trip-booking.json --format dot --run trip-1 | dot -Tpng > trip.png`)
	target := c.m.addRestateFlags(fs)
	known := c.m.addActivityFlag(fs)
	format := fs.String("format", string(graph.Mermaid), "mermaid or dot")
	run := fs.String("run", "", "colour each step by its state in this run")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name exactly one definition file")
	}
	formats := make([]string, len(graph.Formats))
	for i, f := range graph.Formats {
		formats[i] = string(f)
	}
	if !strings.Contains(","+strings.Join(formats, ",")+",", ","+*format+",") {
		return usagef("--format must be one of: %s", strings.Join(formats, ", "))
	}
	file := fs.Arg(0)
	prog, err := loadFile(file, append(known.options(), childFiles(file))...)
	if err != nil {
		printLoadError(c.m.Stderr, err)
		return fmt.Errorf("%s is invalid", file)
	}
	var states graph.States
	if *run != "" {
		cl, err := target.client()
		if err != nil {
			return err
		}
		status, err := cl.Status(ctx, *run)
		if err != nil {
			return err
		}
		if status.Definition != prog.Name {
			return fmt.Errorf("run %s interprets %q, not %s's %q", *run, status.Definition, file, prog.Name)
		}
		states = graph.States{}
		collectStates(status.Steps, states)
	}
	return graph.Render(c.m.Stdout, prog, graph.Format(*format), states)
}

// collectStates flattens a run's step tree into states by step id (ids are
// unique across a definition, at any depth).
func collectStates(steps []client.StepStatus, into graph.States) {
	for _, st := range steps {
		into[st.ID] = string(st.State)
		collectStates(st.Steps, into)
		collectStates(st.Handler, into)
		for _, b := range st.Branches {
			collectStates(b.Steps, into)
		}
	}
}
