package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reaflow/reaflow/internal/runstatus"
)

type statusCommand struct{ m *Main }

func (*statusCommand) Name() string    { return "status" }
func (*statusCommand) Summary() string { return "show a run's state and each step's" }

func (c *statusCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("status", "status [--json] [--watch] ID", `
reaflow status order-fulfillment-k3x9q2
reaflow status --watch order-fulfillment-k3x9q2`)
	target := c.m.addRestateFlags(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	watch := fs.Bool("watch", false, "follow the run until it ends, printing each step as it changes")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("name exactly one workflow id")
	}
	id := fs.Arg(0)
	if *watch {
		return c.m.watch(ctx, target, id)
	}
	run, err := runstatus.Fetch(ctx, target.adminClient(), id)
	if err != nil {
		return err
	}
	if *asJSON {
		out, err := json.MarshalIndent(run, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.m.Stdout, "%s\n", out)
		return err
	}
	printStatus(c.m.Stdout, run, time.Now())
	return nil
}

// printStatus prints a run and its steps as a table.
func printStatus(w io.Writer, run *runstatus.Run, now time.Time) {
	what := run.Definition
	if run.Version != "" {
		what += " " + run.Version
	}
	fmt.Fprintf(w, "%s  %s  %s  (started %s ago)\n", run.WorkflowID, what, run.State, now.Sub(run.CreatedAt).Round(time.Second))
	if run.Error != "" {
		fmt.Fprintf(w, "error: %s\n", run.Error)
	}
	if run.JournalGone {
		fmt.Fprintln(w, "(Restate no longer keeps this run's journal, so its steps are not shown)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range run.Steps {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.State, s.ID, stepDetail(s))
	}
	tw.Flush()
}

func stepDetail(s runstatus.StepStatus) string {
	var parts []string
	if s.Activity != "" {
		parts = append(parts, "activity "+s.Activity)
	}
	if s.Attempts > 0 {
		parts = append(parts, fmt.Sprintf("%d failed attempts", s.Attempts))
	}
	if s.State == runstatus.Retrying && s.Error != "" {
		parts = append(parts, "last error: "+s.Error)
	}
	return strings.Join(parts, ", ")
}

// watchInterval is how often watch polls Restate's introspection API.
const watchInterval = 200 * time.Millisecond

// watch follows a run until it ends: one line per step state change, then
// the output, or an error naming the failing step.
func (m *Main) watch(ctx context.Context, target *restateFlags, id string) error {
	reader := runstatus.NewReader(target.adminClient())
	seen := map[string]runstatus.State{}
	// A run just sent may not be visible to the introspection API yet.
	deadline := time.Now().Add(10 * time.Second)
	for {
		run, err := reader.Fetch(ctx, id)
		switch {
		case errors.Is(err, runstatus.ErrNotFound) && time.Now().Before(deadline):
		case err != nil:
			return err
		default:
			for _, s := range run.Steps {
				if seen[s.ID] == s.State || (s.State == runstatus.Pending && seen[s.ID] == "") {
					continue
				}
				seen[s.ID] = s.State
				fmt.Fprintf(m.Stdout, "  %-8s %s%s\n", s.State, s.ID, suffix(stepDetail(s)))
			}
			if run.Finished() {
				return m.finish(ctx, target, run)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(watchInterval):
		}
	}
}

// finish prints a finished run's output, or returns its failure.
func (m *Main) finish(ctx context.Context, target *restateFlags, run *runstatus.Run) error {
	if run.State == runstatus.Failed {
		return fmt.Errorf("run %s failed: %s", run.WorkflowID, run.Error)
	}
	out, err := runOutput(ctx, target, run.WorkflowID, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "run %s done in %s; output:\n", run.WorkflowID, run.UpdatedAt.Sub(run.CreatedAt).Round(time.Millisecond))
	return printJSON(m.Stdout, out)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return "  (" + s + ")"
}
