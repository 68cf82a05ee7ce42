package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reaflow/reaflow/client"
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
	cl, err := target.client()
	if err != nil {
		return err
	}
	run, err := cl.Status(ctx, id)
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

// printStatus prints a run and its steps as a table. The steps inside a
// switch case, a parallel branch or a catch handler are indented under the
// step that holds them; a foreach step counts its items.
func printStatus(w io.Writer, run *client.Run, now time.Time) {
	what := run.Definition
	if run.Version != "" {
		what += " " + run.Version
	}
	fmt.Fprintf(w, "%s  %s  %s  (started %s ago)\n", run.WorkflowID, what, runState(run), now.Sub(run.CreatedAt).Round(time.Second))
	if run.Error != "" {
		fmt.Fprintf(w, "error: %s\n", run.Error)
	}
	if run.RedriveOf != "" {
		fmt.Fprintf(w, "redrive of %s\n", run.RedriveOf)
	}
	if run.RedrivenAs != "" {
		fmt.Fprintf(w, "redriven as %s\n", run.RedrivenAs)
	}
	if run.JournalGone {
		fmt.Fprintln(w, "(Restate no longer keeps this run's journal, so its steps are not shown)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range statusLines(run.Steps) {
		fmt.Fprintf(tw, "  %s\t%s%s\t%s\n", l.state, strings.Repeat("  ", l.depth), l.name, l.detail)
	}
	tw.Flush()
}

// runState says where a run is: its state, and what it waits for.
func runState(run *client.Run) string {
	switch {
	case run.WaitingFor == "" || run.Finished():
		return string(run.State)
	case run.State == client.Waiting:
		return "waiting for " + run.WaitingFor
	}
	return fmt.Sprintf("%s, waiting for %s", run.State, run.WaitingFor)
}

// statusLine is one line of a run's steps: a step or a parallel branch.
type statusLine struct {
	// path names the line in a run: the step ids and branch names from
	// the top, joined by "/".
	path   string
	name   string
	depth  int
	state  client.State
	detail string
	// step is the line's step; nil for a branch.
	step *client.StepStatus
}

// statusLines flattens a run's steps, each followed by the steps it holds.
func statusLines(steps []client.StepStatus) []statusLine {
	var lines []statusLine
	var add func(steps []client.StepStatus, parent string, depth int)
	add = func(steps []client.StepStatus, parent string, depth int) {
		for i := range steps {
			s := &steps[i]
			path := parent + s.ID
			lines = append(lines, statusLine{path: path, name: s.ID, depth: depth, state: s.State, detail: stepDetail(s), step: s})
			add(s.Steps, path+"/", depth+1)
			for _, b := range s.Branches {
				lines = append(lines, statusLine{path: path + "/" + b.Name, name: b.Name, depth: depth + 1, state: b.State, detail: branchDetail(b)})
				add(b.Steps, path+"/"+b.Name+"/", depth+2)
			}
			add(s.Handler, path+"/", depth+1)
		}
	}
	add(steps, "", 0)
	return lines
}

// stepDetail says what a step is and, unless it is plain, how it stands.
func stepDetail(s *client.StepStatus) string {
	var parts []string
	switch {
	case s.Activity != "":
		parts = append(parts, "activity "+s.Activity)
	case s.Kind == "sleep" && s.State == client.Waiting && s.Until != nil:
		parts = append(parts, "sleep until "+s.Until.UTC().Format(time.RFC3339))
	default:
		parts = append(parts, s.Kind)
	}
	if s.Case != "" {
		parts = append(parts, s.Case)
	}
	if s.ChildRun != "" {
		parts = append(parts, "child run "+s.ChildRun)
	}
	if s.Reused {
		parts = append(parts, "reused: the redriven run's output")
	}
	if s.Items != nil {
		parts = append(parts, itemCounts(s.Items, s.State))
	}
	if s.Attempts > 0 {
		parts = append(parts, fmt.Sprintf("%d failed attempts", s.Attempts))
	}
	switch {
	case s.State == client.Retrying && s.Error != "":
		parts = append(parts, "last error: "+s.Error)
	case s.State == client.Caught:
		parts = append(parts, "caught: "+s.Error)
	case s.Error != "":
		parts = append(parts, "error: "+s.Error)
	}
	if s.State == client.Waiting && s.WaitingFor != "" && !strings.HasPrefix(s.WaitingFor, "sleep ") {
		parts = append(parts, "waiting for "+s.WaitingFor)
	}
	if s.CallbackID != "" && s.State != client.Waiting {
		parts = append(parts, "callback "+s.CallbackID)
	}
	if s.Deadline != nil && (s.State == client.Waiting || s.State == client.Running || s.State == client.Retrying) {
		parts = append(parts, "times out at "+s.Deadline.UTC().Format(time.RFC3339))
	}
	if s.CompensationError != "" {
		parts = append(parts, "compensation failed: "+s.CompensationError)
	}
	return strings.Join(parts, ", ")
}

func branchDetail(b client.BranchStatus) string {
	if b.Error != "" && b.State == client.Failed {
		return "branch, error: " + b.Error
	}
	return "branch"
}

// itemCounts sums up a foreach step's items: "4 items: 2 done, 1 running,
// 1 pending".
func itemCounts(c *client.ItemCounts, state client.State) string {
	noun := "items"
	if c.Total == 1 {
		noun = "item"
	}
	var counts []string
	for _, n := range []struct {
		count int
		what  string
	}{
		{c.Done, "done"}, {c.Running, "running"}, {c.Failed, "failed"},
		{c.Compensated, "compensated"}, {c.CompensationFailed, "compensation failed"},
	} {
		if n.count > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n.count, n.what))
		}
	}
	if p := c.Pending(); p > 0 {
		if state == client.Running || state == client.Waiting || state == client.Retrying {
			counts = append(counts, fmt.Sprintf("%d pending", p))
		} else {
			counts = append(counts, fmt.Sprintf("%d not run", p))
		}
	}
	if len(counts) == 0 {
		return fmt.Sprintf("%d %s", c.Total, noun)
	}
	return fmt.Sprintf("%d %s: %s", c.Total, noun, strings.Join(counts, ", "))
}

// progressInterval is how often watch reports a foreach step's counts
// while nothing else about it changes.
const progressInterval = 2 * time.Second

// watch follows a run until it ends, then prints the output or returns an
// error naming the failing step. On a terminal the whole status table is
// redrawn in place; otherwise each change of a step's state (or of what it
// waits for) is one line, steps inside others named by their path, such as
// "fulfil/parcels/lines".
func (m *Main) watch(ctx context.Context, target *restateFlags, id string) error {
	show := m.changedLines()
	if isTerminal(m.Stdout) {
		show = m.redrawnTable()
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	run, err := cl.Watch(ctx, id, show)
	if err != nil {
		return err
	}
	return m.finish(ctx, target, run)
}

// changedLines returns a watch display that prints one line per change of
// a step, and a foreach step's counts at most every progressInterval.
func (m *Main) changedLines() func(*client.Run) {
	type shown struct {
		key  string
		done int
		at   time.Time
	}
	seen := map[string]shown{}
	return func(run *client.Run) {
		for _, l := range statusLines(run.Steps) {
			if l.step == nil {
				continue
			}
			s := l.step
			key := string(s.State) + "\x00" + s.WaitingFor
			last, ok := seen[l.path]
			progress := s.Items != nil && ok && s.Items.Done+s.Items.Failed != last.done && time.Since(last.at) >= progressInterval
			if last.key == key && !progress || (!ok && s.State == client.Pending) {
				continue
			}
			done := 0
			if s.Items != nil {
				done = s.Items.Done + s.Items.Failed
			}
			seen[l.path] = shown{key: key, done: done, at: time.Now()}
			fmt.Fprintf(m.Stdout, "  %-8s %s%s\n", s.State, l.path, suffix(l.detail))
		}
	}
}

// redrawnTable returns a watch display for a terminal: the whole status
// table, drawn again in place whenever it changes.
func (m *Main) redrawnTable() func(*client.Run) {
	var last string
	return func(run *client.Run) {
		var b strings.Builder
		printStatus(&b, run, time.Now())
		text := b.String()
		if text == last {
			return
		}
		// Move up over the previous table and clear to the end of the
		// screen before drawing the new one.
		if n := strings.Count(last, "\n"); n > 0 {
			fmt.Fprintf(m.Stdout, "\x1b[%dA\x1b[J", n)
		}
		fmt.Fprint(m.Stdout, text)
		last = text
	}
}

// isTerminal reports whether w is a terminal, where progress is redrawn
// in place rather than printed line by line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// finish prints a finished run's output, or returns its failure.
func (m *Main) finish(ctx context.Context, target *restateFlags, run *client.Run) error {
	if run.State == client.Failed {
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
