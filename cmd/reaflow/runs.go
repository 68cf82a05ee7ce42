package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reaflow/reaflow/client"
)

type runsCommand struct{ m *Main }

func (*runsCommand) Name() string { return "runs" }
func (*runsCommand) Summary() string {
	return "list recent runs with their state, current step and age"
}

// runSummary is one line of `reaflow runs`.
type runSummary struct {
	WorkflowID  string       `json:"workflowId"`
	Definition  string       `json:"definition,omitempty"`
	Version     string       `json:"version,omitempty"`
	State       client.State `json:"state"`
	CurrentStep string       `json:"currentStep,omitempty"`
	WaitingFor  string       `json:"waitingFor,omitempty"`
	CreatedAt   time.Time    `json:"createdAt"`
	Error       string       `json:"error,omitempty"`
	RedriveOf   string       `json:"redriveOf,omitempty"`
	RedrivenAs  string       `json:"redrivenAs,omitempty"`
}

func (c *runsCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("runs", "runs [--status done|failed|running] [--workflow NAME] [--limit N] [--json]", `
reaflow runs
reaflow runs --status failed --workflow trip-booking --limit 5`)
	target := c.m.addRestateFlags(fs)
	status := fs.String("status", "", "only runs in this state: done, failed or running (running includes waiting and retrying)")
	workflow := fs.String("workflow", "", "only runs of the definition with this name")
	limit := fs.Int("limit", 20, "at most this many runs, newest first")
	asJSON := fs.Bool("json", false, "print the runs as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("runs takes no arguments; filter with --status and --workflow")
	}
	if *limit < 1 {
		return usagef("--limit must be at least 1")
	}
	states := map[string]client.State{"": "", "done": client.Done, "failed": client.Failed, "running": client.Running}
	state, ok := states[*status]
	if !ok {
		return usagef("--status must be done, failed or running, not %q", *status)
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	page, err := cl.List(ctx, client.ListOptions{State: state, Definition: *workflow, Limit: *limit})
	if err != nil {
		return fmt.Errorf("list runs: %w (is Restate's admin API at %s? start one with 'reaflow dev')", err, target.admin)
	}
	runs := []runSummary{}
	for _, run := range page.Runs {
		runs = append(runs, runSummary{
			WorkflowID: run.WorkflowID, Definition: run.Definition, Version: run.Version, State: run.State,
			CurrentStep: currentStep(run.Steps, ""), WaitingFor: run.WaitingFor, CreatedAt: run.CreatedAt, Error: run.Error,
			RedriveOf: run.RedriveOf, RedrivenAs: run.RedrivenAs,
		})
	}
	if *asJSON {
		encoded, err := json.Marshal(runs)
		if err != nil {
			return err
		}
		return printJSON(c.m.Stdout, encoded)
	}
	if len(runs) == 0 {
		fmt.Fprintln(c.m.Stdout, "no runs")
		return nil
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tDEFINITION\tSTATE\tSTEP\tAGE")
	for _, r := range runs {
		def := strings.TrimSpace(r.Definition + " " + r.Version)
		step := r.CurrentStep
		if r.WaitingFor != "" {
			step = strings.TrimSpace(step + " (" + r.WaitingFor + ")")
		}
		state := string(r.State)
		switch {
		case r.RedrivenAs != "":
			state += " (redriven as " + r.RedrivenAs + ")"
		case r.RedriveOf != "":
			state += " (redrive of " + r.RedriveOf + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.WorkflowID, def, state, step, age(time.Since(r.CreatedAt)))
	}
	return w.Flush()
}

// currentStep returns the path of the innermost step in progress (running,
// waiting, retrying or compensating), depth first, or "".
func currentStep(steps []client.StepStatus, prefix string) string {
	for _, st := range steps {
		path := prefix + st.ID
		if inner := currentStep(append(st.Steps, st.Handler...), path+"/"); inner != "" {
			return inner
		}
		for _, b := range st.Branches {
			if inner := currentStep(b.Steps, path+"/"+b.Name+"/"); inner != "" {
				return inner
			}
		}
		switch st.State {
		case client.Running, client.Waiting, client.Retrying, client.Compensating:
			return path
		}
	}
	return ""
}

// age rounds a duration the way people say it: 45s, 12m, 3h, 2d.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
