package chaos

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
)

// Problem is one expectation that failed.
type Problem struct {
	// Run is the workflow id concerned, empty for the soak as a whole.
	Run      string
	Scenario string
	// Check names the expectation: "final state", "effects", "order",
	// "output", "stray effect", "reuse", "redrive plan", "schedule",
	// "unfinished invocation", "chaos".
	Check  string
	Detail string
	// Known names the known, unfixed issue behind the problem, if it is
	// one (see KnownIssues); such problems fail a soak only in strict mode.
	Known string
}

func (p Problem) String() string {
	if p.Run == "" {
		return fmt.Sprintf("[%s] %s", p.Check, p.Detail)
	}
	return fmt.Sprintf("[%s] %s (%s): %s", p.Check, p.Run, p.Scenario, p.Detail)
}

// knownRetryBudget is a known issue: endpoint crashes use up a step's
// bounded retry budget.
const knownRetryBudget = "retry-budget"

// KnownIssues describes the known issues a soak can run into, by name.
var KnownIssues = map[string]string{
	knownRetryBudget: "a step with retry.maxAttempts failed for good although its activity failed fewer times than that: " +
		"Restate counts every attempt of the invocation since the step's last journal entry, including those that an " +
		"endpoint crash or a server restart ended, so crashes between a step's attempts use up its budget " +
		"(the soak injects at most two failures per key, and the examples allow four or more attempts)",
}

// retryBudgetFailure tells whether the run failed on an injected fault,
// and at which step: the retry budget issue. No key gets more injected
// failures than the smallest budget of the examples, so only attempts that
// crashes took can have used the budget up. It excuses the run's outcome
// and the effects of the steps it never reached, never an effect that
// happened (a duplicate, a wrong route or answer), an order or an output.
func retryBudgetFailure(o *observation) (step string, ok bool) {
	if !o.Finished || o.State.Result != "failure" || !strings.Contains(o.State.Failure, `"sandbox_fault"`) {
		return "", false
	}
	if m := failedStep.FindStringSubmatch(o.State.Failure); m != nil {
		return m[1], true
	}
	return "", false
}

// failedStep finds the step a run's failure names: `step "charge" (activity
// charge) failed: ...`.
var failedStep = regexp.MustCompile(`step "([^"]+)"`)

// unreached returns, for each expected effect, whether it belongs to the
// failed step or a step after it in the plan's order: a run that fails
// there never calls them.
func unreached(effects []expectedEffect, step string) []bool {
	out := make([]bool, len(effects))
	reached := false
	for i, e := range effects {
		label, _, _ := strings.Cut(strings.TrimPrefix(e.Label, "undo "), "[")
		reached = reached || label == step
		out[i] = reached
	}
	return out
}

// owner is a run that expects an effect under a key.
type owner struct {
	obs    *observation
	effect expectedEffect
}

// verify checks every run against its expectation and the ledger against
// all of them together.
func verify(obs []*observation, l sandbox.Ledger) []Problem {
	var problems []Problem
	byKey := map[string][]sandbox.Effect{}
	for _, e := range l.Effects {
		byKey[e.IdempotencyKey] = append(byKey[e.IdempotencyKey], e)
	}
	owners := map[string][]owner{}
	for _, o := range obs {
		for _, e := range o.Run.Expect.Effects {
			owners[e.Key] = append(owners[e.Key], owner{o, e})
		}
	}

	// Every effect has a step of a run behind it.
	for _, e := range l.Effects {
		if _, ok := owners[e.IdempotencyKey]; !ok {
			problems = append(problems, Problem{Check: "stray effect", Detail: "no run expects it: " + describe(e)})
		}
	}
	// Two runs may expect one key only through a dedup step, or when one
	// reuses the other's step as its redrive.
	for k, os := range owners {
		makers := slices.DeleteFunc(slices.Clone(os), func(o owner) bool { return o.effect.Reused })
		if len(makers) > 1 && !makers[0].effect.Shared {
			problems = append(problems, Problem{Run: makers[0].obs.Run.ID, Check: "plan", Detail: fmt.Sprintf("key %s expected by %d runs", k, len(makers))})
		}
	}

	for _, o := range obs {
		problems = append(problems, verifyRun(o, byKey, l.Calls)...)
	}
	return problems
}

func describe(e sandbox.Effect) string {
	s := fmt.Sprintf("#%d %s %s -> %d", e.Seq, e.Endpoint, e.Path, e.Status)
	if e.ObjectID != "" {
		s += " " + e.ObjectID
	}
	s += fmt.Sprintf(" (%s) key %s", e.Summary, e.IdempotencyKey)
	if e.Fault != "" {
		s += ", answer lost to " + e.Fault
	}
	return s
}

func verifyRun(o *observation, byKey map[string][]sandbox.Effect, calls map[string]int) []Problem {
	r := o.Run
	var problems []Problem
	add := func(check, format string, args ...any) {
		problems = append(problems, Problem{Run: r.ID, Scenario: r.Scenario, Check: check, Detail: fmt.Sprintf(format, args...)})
	}
	failedAt, budgetSpent := retryBudgetFailure(o)
	excuse := func() { problems[len(problems)-1].Known = knownRetryBudget }
	for _, t := range o.Trouble {
		add("driver", "%s", t)
	}
	for _, t := range o.PlanProblems {
		add("redrive plan", "the redrive of %s %s", r.RedriveOf, t)
	}

	want := "completed"
	if !r.Expect.Completed {
		want = "failed with " + strings.Join(quoteAll(r.Expect.Failure), " and ")
	}
	switch {
	case !o.Submitted:
		add("final state", "expected %s, but it was never accepted (%d attempts)", want, o.SubmitAttempts)
	case !o.Finished && o.State.Status == "":
		add("final state", "expected %s, seen: LOST, Restate does not know the run it accepted", want)
	case !o.Finished:
		add("final state", "expected %s, seen: STUCK in status %q, retry count %d, last failure %q", want, o.State.Status, o.State.RetryCount, o.State.LastFailure)
	case r.Expect.Completed && o.State.Result != "success":
		add("final state", "expected completed, seen: %s %s", o.State.Result, o.failureText())
		if budgetSpent {
			excuse()
		}
	case !r.Expect.Completed && o.State.Result == "success":
		add("final state", "expected %s, seen: completed with %s", want, o.Output)
	case !r.Expect.Completed:
		for _, s := range r.Expect.Failure {
			if !strings.Contains(o.State.Failure, s) {
				add("final state", "expected an error containing %q, seen: %s", s, o.failureText())
			}
		}
	}
	if r.Signal != nil && !o.SignalDelivered && o.Finished {
		add("driver", "the signal %s was not delivered", r.Signal)
	}

	// Exactly one effect per expected key, with the expected route and
	// answer.
	v := &runView{obs: o, effects: map[string]sandbox.Effect{}}
	var notReached []bool
	if budgetSpent {
		notReached = unreached(r.Expect.Effects, failedAt)
	}
	for i, e := range r.Expect.Effects {
		got := byKey[e.Key]
		if len(got) == 0 && e.Optional {
			continue
		}
		if len(got) != 1 {
			var seen []string
			for _, g := range got {
				seen = append(seen, describe(g))
			}
			kind := "effects"
			if e.Compensation {
				kind = "compensation"
			}
			add(kind, "step %s (key %s): expected exactly 1 effect on %s, seen %d%s", e.Label, e.Key, e.Route, len(got), list(seen))
			if len(got) == 0 && budgetSpent && notReached[i] {
				excuse()
			}
			continue
		}
		g := got[0]
		v.effects[e.Label] = g
		// A reused step is not called again (a dedup step's calls are its
		// dedup object's, which other runs share).
		if before, ok := o.CallsBefore[e.Key]; ok && e.Reused && !e.Shared && calls[e.Key] != before {
			add("reuse", "step %s is reused from %s, yet its key %s had %d provider calls after the redrive started", e.Label, r.RedriveOf, e.Key, calls[e.Key]-before)
		}
		if g.Endpoint != e.Route {
			add("effects", "step %s: expected an effect on %s, seen %s", e.Label, e.Route, describe(g))
		}
		if (e.Status == 0 && !g.Succeeded()) || (e.Status != 0 && g.Status != e.Status) {
			wantStatus := "success"
			if e.Status != 0 {
				wantStatus = fmt.Sprint(e.Status)
			}
			add("effects", "step %s: expected answer %s, seen %s", e.Label, wantStatus, describe(g))
		}
	}

	// Effects in the order the definition dictates: steps in sequence,
	// compensations in reverse.
	for _, chain := range r.Expect.Order {
		var seqs []string
		prev := 0
		for _, label := range chain {
			// A missing effect is reported above.
			e, found := v.effects[label]
			if !found {
				break
			}
			seqs = append(seqs, fmt.Sprintf("%s #%d", label, e.Seq))
			if e.Seq < prev {
				add("order", "expected %s in this order, seen %s", strings.Join(chain, " < "), strings.Join(seqs, ", "))
				break
			}
			prev = e.Seq
		}
	}

	if o.Finished && r.Expect.Check != nil && len(problems) == 0 {
		for _, p := range r.Expect.Check(v) {
			add("output", "%s", p)
		}
	}
	return problems
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func list(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return ":\n      " + strings.Join(items, "\n      ")
}

// runView is a run's output and effects (by label) for its scenario's
// checks.
type runView struct {
	obs     *observation
	effects map[string]sandbox.Effect
}

func (v *runView) decode(out any) []string {
	if err := json.Unmarshal(v.obs.Output, out); err != nil {
		return []string{fmt.Sprintf("output %s: %v", v.obs.Output, err)}
	}
	return nil
}

// object is the id of what the labelled effect created or changed.
func (v *runView) object(label string) string {
	if e, ok := v.effects[label]; ok {
		return e.ObjectID
	}
	return "<no effect " + label + ">"
}

// tracking is the tracking number of the labelled shipment, which the
// ledger has only in its summary: `shipped order "X" as TRK000000001`.
func (v *runView) tracking(label string) string {
	e, ok := v.effects[label]
	if !ok {
		return "<no effect " + label + ">"
	}
	fields := strings.Fields(e.Summary)
	if i := slices.IndexFunc(fields, func(f string) bool { return strings.HasPrefix(f, "TRK") }); i >= 0 {
		return fields[i]
	}
	return "<no tracking in " + e.Summary + ">"
}

func (v *runView) path(label string) string {
	if e, ok := v.effects[label]; ok {
		return e.Path
	}
	return "<no effect " + label + ">"
}

// requestField reads a string field of the labelled effect's request.
func (v *runView) requestField(label, field string) string {
	e, ok := v.effects[label]
	if !ok {
		return "<no effect " + label + ">"
	}
	var req map[string]any
	if err := json.Unmarshal(e.Request, &req); err != nil {
		return "<request " + string(e.Request) + ">"
	}
	return fmt.Sprint(req[field])
}

// same reports a difference between what was seen and what was expected.
func (v *runView) same(what, seen, want string) []string {
	if seen == want {
		return nil
	}
	return []string{fmt.Sprintf("%s: expected %q, seen %q", what, want, seen)}
}

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
