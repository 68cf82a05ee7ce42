package clusterrun

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is what the scenario found.
type Report struct {
	Machine     string
	Concurrency int
	// HealthyAfter is when every node answered /health and a query;
	// RunningAfter when probe workflows had completed through every node
	// and every partition had a leader.
	HealthyAfter, RunningAfter time.Duration
	Ingress, Victim            NodeRoles
	Phases                     []Phase
	Kill                       KillResult

	// Runs counts the runs submitted (the CLI's included); Completed
	// those that ended with the output their effects imply.
	Runs, Completed int
	// Lost counts runs that never completed; Wrong those that completed
	// with an output that does not match their effects.
	Lost, Wrong int
	// Effects is the number of provider effects and Keys the idempotency
	// keys they are filed under; Duplicates the
	// idempotency keys with more than one; Unexpected the effects no run
	// accounts for.
	Effects, Keys, Duplicates, Unexpected int
	// SendRetries, Conflicts and AttachRetries sum the driver's retries
	// while Restate was unavailable and the 409 answers it attached after.
	SendRetries, Conflicts, AttachRetries int
	// Gaps are the longest waits of a run for its next step, around the
	// kill (see gaps).
	Gaps Gaps
	// EndpointConnections counts the connections each endpoint took.
	EndpointConnections []int

	Problems []string
	// WorkDir keeps the endpoints' logs of a scenario that failed; Logs
	// holds the end of each node's log.
	WorkDir string
	Logs    []string
}

// Gaps measure how long runs waited for their next step (submission,
// provider effects, completion), by where the wait fell.
type Gaps struct {
	// BeforeKill is the longest wait that ended before the kill: the
	// normal pace under this load.
	BeforeKill time.Duration
	// Failover is the longest wait of a run in flight at the kill, from
	// the kill to its next step: the failover pause.
	Failover time.Duration
	// InFlight counts the runs in flight at the kill; Stalled those whose
	// wait across it was longer than BeforeKill; WaitedForRestart those
	// whose next step came only after the killed node was started again.
	InFlight, Stalled, WaitedForRestart int
	// FailoverWaits are the waits across the kill, shortest first.
	FailoverWaits []time.Duration
	// WhileDown is the longest wait that began after the kill and ended
	// before the restart; AfterRestart the longest that began after it
	// (the node taking partitions back).
	WhileDown, AfterRestart time.Duration
}

// OK tells whether every check passed.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// verify checks every run against the ledger and fills in the counts.
func (s *scenario) verify() {
	r := s.report
	ledger := s.sandbox.Ledger()
	ix := indexLedger(ledger)
	expected := map[string]bool{}
	var wrong []string
	for _, j := range s.jobs {
		r.Runs++
		r.SendRetries += j.sendRetries
		r.AttachRetries += j.attachRetries
		r.Conflicts += j.conflicts
		keys, effects, problems := j.effects(ix)
		for _, k := range keys {
			expected[k] = true
		}
		if j.err != nil {
			r.Lost++
			wrong = append(wrong, fmt.Sprintf("run %s: %v", j.id, j.err))
			continue
		}
		problems = append(problems, j.check(effects)...)
		if len(problems) > 0 {
			r.Wrong++
			wrong = append(wrong, fmt.Sprintf("run %s: %s", j.id, strings.Join(problems, "; ")))
			continue
		}
		r.Completed++
	}
	r.Effects, r.Keys = len(ledger.Effects), len(ix.byKey)
	for key, effects := range ix.byKey {
		if len(effects) > 1 {
			r.Duplicates++
			r.problem("idempotency key %s has %d effects: %s", key, len(effects), effects[0].Summary)
		}
		if !expected[key] {
			r.Unexpected += len(effects)
		}
	}
	if r.Lost > 0 {
		r.problem("%d runs lost", r.Lost)
	}
	if r.Wrong > 0 {
		r.problem("%d runs ended with an output their effects do not explain", r.Wrong)
	}
	if r.Unexpected > 0 {
		r.problem("%d provider effects that no run accounts for", r.Unexpected)
	}
	const shown = 10
	r.Problems = append(r.Problems, wrong[:min(len(wrong), shown)]...)
	if len(wrong) > shown {
		r.problem("... and %d more runs", len(wrong)-shown)
	}
	if r.Kill.CLI.ExitCode != 0 {
		r.problem("reaflow submit --wait through the killed node exited %d:\n%s", r.Kill.CLI.ExitCode, r.Kill.CLI.Output)
	}
	r.Gaps = s.gaps(ix)
}

// gaps measures the failover phase's waits between consecutive steps of
// each run (see Gaps).
func (s *scenario) gaps(ix ledgerIndex) Gaps {
	var g Gaps
	if s.kill == nil || s.kill.killedAt.IsZero() {
		return g
	}
	kill, restart := s.kill.killedAt, s.kill.restartedAt
	type wait struct{ from, to time.Time }
	var waits [][]wait
	for _, j := range s.jobs {
		if !strings.Contains(j.id, "-failover-") || j.err != nil {
			continue
		}
		_, effects, _ := j.effects(ix)
		times := []time.Time{j.accepted, j.done}
		for _, e := range effects {
			times = append(times, e.Time)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		var w []wait
		for i := 1; i < len(times); i++ {
			w = append(w, wait{times[i-1], times[i]})
		}
		waits = append(waits, w)
	}
	for _, w := range waits {
		for _, x := range w {
			d := x.to.Sub(x.from)
			switch {
			case !x.to.After(kill):
				g.BeforeKill = max(g.BeforeKill, d)
			case !x.from.After(kill):
			case x.to.Before(restart):
				g.WhileDown = max(g.WhileDown, d)
			case !x.from.Before(restart):
				g.AfterRestart = max(g.AfterRestart, d)
			}
		}
	}
	for _, w := range waits {
		for _, x := range w {
			if !x.from.After(kill) && x.to.After(kill) {
				g.InFlight++
				g.Failover = max(g.Failover, x.to.Sub(kill))
				g.FailoverWaits = append(g.FailoverWaits, x.to.Sub(kill))
				if x.to.Sub(x.from) > g.BeforeKill {
					g.Stalled++
				}
				if x.to.After(restart) {
					g.WaitedForRestart++
				}
			}
		}
	}
	slices.Sort(g.FailoverWaits)
	return g
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	p("reaflow on a 3-node Restate cluster (restate-server 1.7.12, replication 2, 4 partitions), %s", r.Machine)
	p("cluster healthy after %s; running workflows on every node after %s", ms(r.HealthyAfter), ms(r.RunningAfter))
	p("runs went through %s (%s); killed %s (%s)", r.Ingress.Name, r.Ingress.Roles, r.Victim.Name, r.Victim.Roles)
	p("")
	p("throughput, %d runs in flight, mixed order-fulfillment / trip-booking / order-approval / subscription-renewal:", r.Concurrency)
	for _, ph := range r.Phases {
		p("  %-30s %4d runs in %8s  %6.1f runs/s", ph.Name, ph.Runs, ms(ph.Duration), ph.Throughput())
	}
	p("")
	k := r.Kill
	p("kill: SIGKILL %s at %s into the phase, restarted at %s on the same base dir, rejoined at %s (%s)",
		r.Victim.Name, ms(k.KilledAt), ms(k.RestartedAt), ms(k.RejoinedAt), k.RolesAfter)
	g := r.Gaps
	p("failover pause: %s (the longest a run in flight waited for its next step after the kill; %d runs in flight, %d waited longer than the %s longest wait before the kill)",
		ms(g.Failover), g.InFlight, g.Stalled, ms(g.BeforeKill))
	if n := len(g.FailoverWaits); n > 0 {
		p("  waits across the kill: median %s, 90th percentile %s; runs that waited for the node to come back: %d",
			ms(g.FailoverWaits[n/2]), ms(g.FailoverWaits[n*9/10]), g.WaitedForRestart)
	}
	p("longest wait for a step while the node was down: %s; after its restart: %s", ms(g.WhileDown), ms(g.AfterRestart))
	p("client retries while Restate was unavailable: %d sends, %d attaches; 409 answers attached to: %d", r.SendRetries, r.AttachRetries, r.Conflicts)
	cli := "completed"
	if k.CLI.ExitCode != 0 {
		cli = fmt.Sprintf("FAILED (exit %d)", k.CLI.ExitCode)
	}
	p("reaflow submit --wait with the killed node first in --ingress/--admin: %s, attached again %d times", cli, k.CLI.Attached)
	p("endpoint connections: %v", r.EndpointConnections)
	p("")
	p("workflows: %d submitted, %d completed with the expected output", r.Runs, r.Completed)
	p("provider effects: %d under %d idempotency keys; effects no run accounts for: %d", r.Effects, r.Keys, r.Unexpected)
	p("duplicates: %d", r.Duplicates)
	p("lost: %d", r.Lost)
	if r.OK() {
		p("PASS")
		return
	}
	p("FAIL:")
	sort.Strings(r.Problems)
	for _, pr := range r.Problems {
		p("  %s", pr)
	}
	if r.WorkDir != "" {
		p("endpoint logs: %s", r.WorkDir)
	}
	for _, l := range r.Logs {
		p("%s", l)
	}
}
