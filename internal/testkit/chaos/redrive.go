package chaos

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	reaflow "github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// maxRedrives bounds the redrives of one lineage.
const maxRedrives = 3

// redriveTimeout bounds planning and starting one redrive through
// restarts of the server.
const redriveTimeout = 2 * time.Minute

// A lineage is a run and the redrives that continue it (README,
// "Redrive"). A run is redriven as soon as it has failed, while the chaos
// goes on, when it failed as its lineage plans (an outage on a step's
// provider longer than the step's retry budget, or a refusal) or on the
// retry budget known issue. Each redrive expects what a run of the
// lineage that goes right does: every effect exactly once across the
// lineage, under the root run's keys or, for a step refused before, the
// root's key with the redrive generation; the steps that earlier runs
// completed reused, with no provider call; and the output of a clean
// run. A run that failed is expected to have made the effects of the
// steps before its failure, which its redrive reuses.
type lineage struct {
	root string
	// clean is what a run of the lineage that completes must have done,
	// with the root's keys.
	clean   expectation
	planned []plannedFailure
	// generation is that of the lineage's newest run; gens gives, by step
	// path, the generation whose keys the step uses (none: the root's),
	// and reused the step paths that the next run reuses.
	generation int
	gens       map[string]int
	reused     map[string]bool
}

// plannedFailure is a failure a scenario plans for a run of a lineage:
// the provider answers every call of the step under the key of
// generation Generation with Status, until a run has failed there.
type plannedFailure struct {
	Step       string
	Generation int
	Status     int
	// Failure are strings of the run's error.
	Failure []string
	done    bool
}

// refusal tells a refusal (which gives the step a new key in the next
// redrive) from an outage (which does not).
func (p plannedFailure) refusal() bool { return p.Status < 500 && p.Status != 429 }

// redriveAfter plans failures for r, in the order its runs meet them, and
// makes r expect the first.
func redriveAfter(r *run, failures ...plannedFailure) {
	r.Lineage = newLineage(r, failures...)
	r.Expect = r.Lineage.expect()
}

func newLineage(r *run, failures ...plannedFailure) *lineage {
	return &lineage{root: r.ID, clean: r.Expect, planned: failures, gens: map[string]int{}, reused: map[string]bool{}}
}

// redrivable tells whether the soak knows the keys of every effect of a
// run of the lineage: the runs whose steps all have a path.
func (ln *lineage) redrivable() bool {
	return ln.clean.Completed && len(ln.clean.Effects) > 0 && !slices.ContainsFunc(ln.clean.Effects, func(e expectedEffect) bool { return e.Step == "" })
}

// stepKey is the idempotency key of the call of the step at path (an
// interpreter.StepPath, "lines[3]/ship") in a run of the lineage root,
// under the keys of redrive generation gen (0 for the root's own): the
// interpreter's own derivation.
func stepKey(root string, gen int, path string, roles ...rea.KeyPart) string {
	loops, id, err := interpreter.ParseStepPath(path)
	if err != nil {
		panic("chaos: " + err.Error())
	}
	return interpreter.StepKey(root, loops, id, gen, roles...)
}

// rekey gives e the key of the lineage's next run, and marks it reused
// if that run reuses it. A dedup step's key is the dedup key's, whatever
// the run.
func (ln *lineage) rekey(e expectedEffect) expectedEffect {
	if !e.Shared {
		var roles []rea.KeyPart
		if e.Compensation {
			roles = append(roles, undo)
		}
		e.Key = stepKey(ln.root, ln.gens[e.Step], e.Step, roles...)
	}
	e.Reused = ln.reused[e.Step]
	return e
}

// pending is the planned failure the lineage's next run meets: the first
// not yet met whose step uses the keys of its generation.
func (ln *lineage) pending() *plannedFailure {
	for i := range ln.planned {
		if p := &ln.planned[i]; !p.done && ln.gens[p.Step] == p.Generation {
			return p
		}
	}
	return nil
}

// expect is what the lineage's next run must do: fail as planned, or
// complete as a clean run.
func (ln *lineage) expect() expectation {
	if p := ln.pending(); p != nil {
		return ln.failedAt(p.Step, p)
	}
	e := ln.clean
	e.Effects = make([]expectedEffect, len(ln.clean.Effects))
	for i, eff := range ln.clean.Effects {
		e.Effects[i] = ln.rekey(eff)
	}
	return e
}

// failedAt is what a run of the lineage that failed at step must have
// done: the effects of the steps before it. A planned failure is
// expected; any other failure (the retry budget known issue) leaves
// Completed set, so that the run's outcome is reported under the known
// issue, its effects not.
func (ln *lineage) failedAt(step string, p *plannedFailure) expectation {
	e := expectation{Completed: p == nil, Order: ln.clean.Order}
	if p != nil {
		e.Failure = p.Failure
	}
	for _, eff := range ln.clean.Effects {
		if interpreter.PathStepID(eff.Step) == step {
			break
		}
		e.Effects = append(e.Effects, ln.rekey(eff))
	}
	return e
}

// judge tells whether o, the lineage's newest run, is to be redriven: it
// failed as planned, or on the retry budget known issue. It returns the
// step that failed and the planned failure, nil for the known issue.
func (ln *lineage) judge(o *observation) (string, *plannedFailure, bool) {
	if !o.Finished || o.State.Result != "failure" || !ln.redrivable() {
		return "", nil, false
	}
	m := failedStep.FindStringSubmatch(o.State.Failure)
	if m == nil {
		return "", nil, false
	}
	if p := ln.pending(); p != nil && p.Step == m[1] && !slices.ContainsFunc(p.Failure, func(s string) bool { return !strings.Contains(o.State.Failure, s) }) {
		return m[1], p, true
	}
	if _, ok := retryBudgetFailure(o); ok {
		return m[1], nil, true
	}
	return "", nil, false
}

// advance notes that the lineage's newest run failed at step: the next
// run reuses the steps before it and, after a refusal, gives the step
// keys of its own generation.
func (ln *lineage) advance(step string, p *plannedFailure) {
	ln.generation++
	for _, e := range ln.clean.Effects {
		if interpreter.PathStepID(e.Step) == step {
			break
		}
		ln.reused[e.Step] = true
	}
	if p != nil {
		p.done = true
		if p.refusal() {
			ln.gens[step] = ln.generation
		}
	}
}

// checkPlan compares the redrive reaflow planned with what the lineage
// expects of it: its root and generation, the steps it reuses and those
// it gives keys of their own.
func (ln *lineage) checkPlan(plan *reaflow.RedrivePlan) []string {
	rd := plan.Request.Redrive
	if rd == nil {
		return []string{"the plan carries no redrive"}
	}
	var problems []string
	if rd.Root != ln.root || rd.Generation != ln.generation {
		problems = append(problems, fmt.Sprintf("root %s generation %d, expected root %s generation %d", rd.Root, rd.Generation, ln.root, ln.generation))
	}
	if got, want := slices.Sorted(maps.Keys(rd.Reuse)), slices.Sorted(maps.Keys(ln.reused)); !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("reuses %v, expected %v", got, want))
	}
	if !maps.Equal(rd.Keys, ln.gens) {
		problems = append(problems, fmt.Sprintf("new keys %v, expected %v", rd.Keys, ln.gens))
	}
	return problems
}

// outageKeys are the keys, with the status, of the planned failures not
// met yet.
func (ln *lineage) outageKeys() map[string]int {
	keys := map[string]int{}
	for _, p := range ln.planned {
		if !p.done {
			keys[stepKey(ln.root, p.Generation, p.Step)] = p.Status
		}
	}
	return keys
}

// driveLineage drives r, then redrives it while it fails as its lineage
// plans or on the retry budget known issue, and returns every run.
func (c *client) driveLineage(ctx context.Context, r *run) []*observation {
	ln := r.Lineage
	if ln == nil {
		ln = newLineage(r)
	}
	outages := ln.outageKeys()
	for k, status := range outages {
		c.outages.set(k, status)
	}
	defer func() {
		for k := range outages {
			c.outages.clear(k)
		}
	}()

	o := c.drive(ctx, r)
	obs := []*observation{o}
	for {
		next, p := ln.redriveOf(o)
		if next == nil {
			break
		}
		if p != nil {
			// The outage is over, or the refusal given.
			c.outages.clear(stepKey(ln.root, p.Generation, p.Step))
		}
		rd := c.redrive(ctx, o, next, ln)
		if rd == nil {
			break
		}
		obs = append(obs, rd)
		o = rd
	}
	return obs
}

// redriveOf decides whether o, the lineage's newest run, is to be
// redriven. If so, it says what o must have done and returns the run of
// its redrive, without an id yet, and the planned failure o met (nil for
// the known issue).
func (ln *lineage) redriveOf(o *observation) (*run, *plannedFailure) {
	if ln.generation == maxRedrives {
		return nil, nil
	}
	step, p, ok := ln.judge(o)
	if !ok {
		return nil, nil
	}
	o.Run.Expect = ln.failedAt(step, p)
	ln.advance(step, p)
	r := o.Run
	next := &run{Scenario: r.Scenario, File: r.File, Input: r.Input, RedriveOf: r.ID, Generation: ln.generation, Planned: p != nil, Expect: ln.expect()}
	for _, e := range next.Expect.Effects {
		if ln.gens[e.Step] > 0 && !e.Reused {
			next.NewKeys++
		}
	}
	return next, p
}

// redrive plans and starts the redrive of the failed run o, as next, and
// follows it to its end. It returns nil, with the trouble noted on o,
// when reaflow would not redrive o.
func (c *client) redrive(ctx context.Context, o *observation, next *run, ln *lineage) *observation {
	ctx, cancel := context.WithTimeout(ctx, redriveTimeout)
	defer cancel()
	var plan *reaflow.RedrivePlan
	for {
		var err error
		plan, err = c.api.PlanRedrive(ctx, o.Run.ID, reaflow.RedriveOptions{})
		if err == nil {
			break
		}
		// Not found may be a server that has just restarted; any other
		// refusal is reaflow's last word.
		if errors.Is(err, reaflow.ErrCannotRedrive) && !errors.Is(err, reaflow.ErrNotFound) || !pause(ctx) {
			o.Trouble = append(o.Trouble, "not redriven: "+err.Error())
			return nil
		}
	}
	next.ID = plan.ID
	rd := &observation{Run: next, PlanProblems: ln.checkPlan(plan)}
	// Before the start: the reused steps' calls so far, which the redrive
	// must not add to.
	l := c.ledger()
	rd.CallsBefore = map[string]int{}
	for _, e := range next.Expect.Effects {
		if e.Reused {
			rd.CallsBefore[e.Key] = l.Calls[e.Key]
		}
	}
	lost := false
	for {
		rd.SubmitAttempts++
		err := c.api.StartRedrive(ctx, plan)
		// A start whose answer was lost took: no one else starts this id.
		if err == nil || lost && errors.Is(err, reaflow.ErrCannotRedrive) {
			break
		}
		if errors.Is(err, reaflow.ErrCannotRedrive) || !pause(ctx) {
			rd.Trouble = append(rd.Trouble, "redrive not started: "+err.Error())
			return rd
		}
		lost = true
	}
	rd.Submitted, rd.Start = true, time.Now()
	c.follow(ctx, rd)
	return rd
}
