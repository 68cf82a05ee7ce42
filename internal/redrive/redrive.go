// Package redrive prepares the redrive of a failed run: a new run of the
// same pinned definition (or a fixed one) and input, whose journaled
// request carries the outputs of the steps the failed run completed, so
// that it continues from the failure without calling them again.
//
// What can be redriven, and how keys carry over, is decided here, from the
// failed run's journal as internal/runstatus reads it; the interpreter
// only follows the request (see interpreter.Redrive).
package redrive

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/interpreter"
)

// DefaultWindow is how long reaflow's services keep a finished run and
// its journal (serve --redrive-window), and so how long after its end a
// failed run can be redriven.
const DefaultWindow = 14 * 24 * time.Hour

// Options say how to redrive a run.
type Options struct {
	// ID is the new run's id; empty for ROOT-redrive-GENERATION.
	ID string
	// From names a step (its id, or a path such as "lines/ship") to run
	// again, with everything after it in the definition, even where it
	// completed.
	From string
	// Definition replaces the failed run's definition; nil keeps it.
	// Completed steps are reused by step path where the new definition
	// still has them, calling the same activity.
	Definition *Definition
}

// Definition is a definition's text with its compiled program.
type Definition struct {
	Text, File string
	Program    *dsl.Program
}

// Plan is a prepared redrive: the request to start, and what it reuses.
type Plan struct {
	// Of is the failed run, ID the new one.
	Of, ID  string
	Request interpreter.RunRequest
	Program *dsl.Program
	// Steps says, for each step that does work, in the definition's
	// order, what the redrive does with it.
	Steps []StepPlan
}

// StepPlan is what a redrive does with one step.
type StepPlan struct {
	// ID is the step's id, Path its path with the foreach steps around it
	// ("lines/ship").
	ID, Path string
	// Reused counts the calls of the step that are reused: 1 for a step
	// outside foreach steps, the items for one inside.
	Reused int
	// InLoop is true for a step inside a foreach step.
	InLoop bool
	// NewKeys counts the calls of the step that run with new keys (their
	// activity refused under the old one, or --from asks to run them
	// again).
	NewKeys int
}

// ErrRefused is wrapped by the errors of runs that cannot be redriven.
var ErrRefused = errors.New("cannot redrive")

// UnknownRunError is the refusal of a run Restate does not know: never
// started, or finished longer ago than the redrive window.
type UnknownRunError struct{ ID string }

func (e *UnknownRunError) Error() string {
	return fmt.Sprintf("Restate knows no run %q; a finished run is kept for the redrive window (serve --redrive-window, %s by default), after which it cannot be redriven", e.ID, window(DefaultWindow))
}

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// Prepare reads the failed run id and plans its redrive. It refuses a run
// that is not failed (running, completed, unknown or past the redrive
// window), one that is redriven already, and one whose compensations ran
// unless the redrive starts from the first step.
func Prepare(ctx context.Context, q runstatus.Querier, id string, opts Options) (*Plan, error) {
	failed, err := runstatus.ReadRedrivable(ctx, q, id)
	if errors.Is(err, runstatus.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", ErrRefused, &UnknownRunError{ID: id})
	}
	if err != nil {
		return nil, err
	}
	run := failed.Run
	switch {
	case !run.Finished():
		return nil, refuse("run %s is still %s; wait for it to fail, or cancel it first", id, run.State)
	case run.State == runstatus.Done:
		return nil, refuse("run %s completed; there is nothing to redrive", id)
	case run.RedrivenAs != "":
		state := "unknown"
		if next, err := runstatus.Fetch(ctx, q, run.RedrivenAs); err == nil {
			state = string(next.State)
		}
		return nil, refuse("run %s is already redriven as %s (%s); redrive that run instead", id, run.RedrivenAs, state)
	case run.JournalGone:
		return nil, refuse("Restate no longer keeps the journal of run %s (it is past the journal retention of reaflow's services, serve --redrive-window), so what it completed is unknown; submit it again with a new id", id)
	case failed.Program == nil:
		return nil, refuse("run %s failed before its first step: its definition was refused (%s); submit a corrected one", id, run.Error)
	}
	prev := failed.Request.Redrive
	rd := &interpreter.Redrive{Of: id, Root: id, Generation: 1, Reuse: failed.Reuse, Keys: map[string]int{}}
	if prev != nil {
		rd.Root, rd.Generation = prev.Root, prev.Generation+1
		maps.Copy(rd.Keys, prev.Keys)
	}
	for _, path := range failed.Refused {
		rd.Keys[path] = rd.Generation
	}
	prog := failed.Program
	req := interpreter.RunRequest{Definition: failed.Request.Definition, Input: failed.Request.Input, File: failed.Request.File}
	if opts.Definition != nil {
		prog = opts.Definition.Program
		req.Definition, req.File = opts.Definition.Text, opts.Definition.File
		keepExisting(rd, failed.Program, prog)
	}
	order := stepOrder(prog.Steps, "", false, nil)
	if opts.From != "" {
		from := interpreter.PathStepID(opts.From)
		if i := strings.IndexByte(from, '['); i >= 0 {
			from = from[:i]
		}
		pos := slices.IndexFunc(order, func(s stepRef) bool { return s.id == from })
		if pos < 0 {
			return nil, refuse("%s has no step %q to redrive from", prog.Name, opts.From)
		}
		if failed.Compensated && pos > 0 {
			return nil, refuse("run %s was compensated: the effects of its completed steps were undone, so there is nothing to reuse; redrive it from the start with --from %s, which runs every step again with new keys", id, order[0].id)
		}
		after := map[string]bool{}
		for _, s := range order[pos:] {
			after[s.id] = true
		}
		for path := range rd.Reuse {
			if after[interpreter.PathStepID(path)] {
				delete(rd.Reuse, path)
				rd.Keys[path] = rd.Generation
			}
		}
	} else if failed.Compensated {
		return nil, refuse("run %s was compensated: the effects of its completed steps were undone, so there is nothing to reuse; redrive it from the start with --from %s, which runs every step again with new keys", id, order[0].id)
	}
	if len(rd.Keys) == 0 {
		rd.Keys = nil
	}
	req.Redrive = rd
	newID := opts.ID
	if newID == "" {
		newID = fmt.Sprintf("%s-redrive-%d", rd.Root, rd.Generation)
	}
	if newID == id {
		return nil, refuse("the redrive needs an id of its own, not %s", id)
	}
	return &Plan{Of: id, ID: newID, Request: req, Program: prog, Steps: summarize(order, rd)}, nil
}

// keepExisting drops the outputs of steps the new definition no longer
// has, or whose activity it changed.
func keepExisting(rd *interpreter.Redrive, old, prog *dsl.Program) {
	for path := range rd.Reuse {
		id := interpreter.PathStepID(path)
		now, was := prog.Step(id), old.Step(id)
		keep := now != nil && fmt.Sprintf("%T", now) == fmt.Sprintf("%T", was)
		if a, ok := now.(*dsl.ActivityStep); ok && keep {
			keep = a.Activity == was.(*dsl.ActivityStep).Activity
		}
		if !keep {
			delete(rd.Reuse, path)
		}
	}
}

// stepRef is a step that does work, in the definition's order.
type stepRef struct {
	id, path string
	inLoop   bool
}

// stepOrder lists the steps that do work in the definition's order, depth
// first.
func stepOrder(steps []dsl.Step, prefix string, inLoop bool, into []stepRef) []stepRef {
	for _, step := range steps {
		info := step.Info()
		switch s := step.(type) {
		case *dsl.SwitchStep:
			for _, c := range s.Cases {
				into = stepOrder(c.Steps, prefix, inLoop, into)
			}
			into = stepOrder(s.Default, prefix, inLoop, into)
		case *dsl.ParallelStep:
			for _, b := range s.Branches {
				into = stepOrder(b.Steps, prefix+info.ID+"/", inLoop, into)
			}
		case *dsl.ForeachStep:
			into = stepOrder(s.Steps, prefix+info.ID+"/", true, into)
		case *dsl.ActivityStep, *dsl.SleepStep, *dsl.AwaitStep, *dsl.WorkflowStep:
			into = append(into, stepRef{id: info.ID, path: prefix + info.ID, inLoop: inLoop})
		}
		for _, h := range info.Catch {
			into = stepOrder(h.Steps, prefix, inLoop, into)
		}
	}
	return into
}

func summarize(order []stepRef, rd *interpreter.Redrive) []StepPlan {
	reused, rekeyed := map[string]int{}, map[string]int{}
	for path := range rd.Reuse {
		reused[interpreter.PathStepID(path)]++
	}
	for path, gen := range rd.Keys {
		if gen == rd.Generation {
			rekeyed[interpreter.PathStepID(path)]++
		}
	}
	plans := make([]StepPlan, len(order))
	for i, s := range order {
		plans[i] = StepPlan{ID: s.id, Path: s.path, InLoop: s.inLoop, Reused: reused[s.id], NewKeys: rekeyed[s.id]}
	}
	return plans
}

// Filter selects failed runs for a bulk redrive.
type Filter struct {
	// Workflow is a definition name; empty for all.
	Workflow string
	// Since keeps the runs created that long ago or later; 0 for all.
	Since time.Duration
	// Limit caps the runs; 0 for 100.
	Limit int
}

// Candidate is a failed run a bulk redrive found.
type Candidate struct {
	ID, Definition string
	CreatedAt      time.Time
}

// Failed lists the failed runs that match the filter and are not redriven
// yet, newest first.
func Failed(ctx context.Context, q runstatus.Querier, f Filter, now time.Time) ([]Candidate, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	scan := limit
	if f.Workflow != "" {
		scan = max(limit, 500)
	}
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT target_service_key FROM sys_invocation
		WHERE target_service_name = '%s' AND target_handler_name = 'Run' AND completion_result = 'failure'
		ORDER BY created_at DESC LIMIT %d`, interpreter.WorkflowService, 4*scan))
	if err != nil {
		return nil, err
	}
	reader := runstatus.NewReader(q)
	var found []Candidate
	for _, row := range rows {
		if len(found) == limit {
			break
		}
		id, _ := row["target_service_key"].(string)
		run, err := reader.Fetch(ctx, id)
		if err != nil {
			return nil, err
		}
		if f.Since > 0 && now.Sub(run.CreatedAt) > f.Since {
			break
		}
		if run.RedrivenAs != "" || f.Workflow != "" && run.Definition != f.Workflow {
			continue
		}
		found = append(found, Candidate{ID: id, Definition: run.Definition, CreatedAt: run.CreatedAt})
	}
	return found, nil
}

// window says a duration in days when it is whole days.
func window(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
