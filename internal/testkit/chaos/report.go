package chaos

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is what a soak did and found.
type Report struct {
	Seed        uint64
	Endpoints   int
	Concurrency int
	ServerEnv   []string
	// Strict counts problems of known issues as failures.
	Strict bool
	// Interrupted is set when the soak was stopped before its end; its
	// runs were not checked.
	Interrupted bool

	// Runs counts workflow runs by scenario.
	Runs map[string]*ScenarioCount
	// Steps counts the provider effects the runs' activity steps were
	// expected to make; Compensations those of their compensations.
	Steps, Compensations int

	EndpointKills, EndpointStarts int
	// EndpointConnections is how many connections each endpoint took
	// through the balancer.
	EndpointConnections []int
	ServerRestarts      int
	ServerDown          time.Duration

	// RawCalls counts every provider call; Retries the calls beyond the
	// first for a key; Faults the injected failures answered, by status;
	// FaultsAfterEffect those of them that came after the effect was
	// applied; Abandoned the calls whose caller died (or gave up) before
	// the answer.
	RawCalls, Keys, Retries int
	Faults                  map[int]int
	FaultsAfterEffect       int
	Abandoned               int
	// Effects, Refusals: applied effects and stored business refusals.
	Effects, Refusals int
	// Replays is the number of calls answered from an idempotency record,
	// over ReplayedKeys keys: each a duplicate effect the key prevented.
	Replays, ReplayedKeys int

	// Redrives counts the redrives of failed runs, RedrivesPlanned those
	// of runs that failed as planned (the others failed on a known issue),
	// RedrivesCompleted those that completed; ReusedSteps the steps they
	// reused (no call, the earlier run's effect) and RedrivenNewKeys the
	// steps they ran under a key of their own.
	Redrives, RedrivesPlanned, RedrivesCompleted, ReusedSteps, RedrivenNewKeys int
	// Schedules counts the schedules checked, ScheduleFires their fires.
	Schedules, ScheduleFires int

	SubmitRetries, SignalsDelivered, SignalAttempts, StatusQueryErrors int
	// RunTime summarizes how long runs took from acceptance to end.
	RunTimeP50, RunTimeP95, RunTimeMax time.Duration

	Wall, Startup, Submission, Drain time.Duration

	// WorkDir holds the server's and endpoints' logs; kept when the soak
	// failed.
	WorkDir string
	// RunDumps is the directory with a file per failing run: its
	// expectations, effects, invocations and journals.
	RunDumps string
	// Events is the monkey's timeline.
	Events   []string
	Problems []Problem
}

// ScenarioCount is how the runs of one scenario ended.
type ScenarioCount struct {
	Runs, Completed, Failed, Unfinished int
}

// Passed tells whether every expectation held, but for problems of known
// issues unless the soak was strict. An interrupted soak did not pass.
func (r *Report) Passed() bool { return !r.Interrupted && len(r.failures()) == 0 }

// failures are the problems that fail the soak.
func (r *Report) failures() []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Known == "" || r.Strict {
			out = append(out, p)
		}
	}
	return out
}

// known are the problems of known issues that did not fail the soak.
func (r *Report) known() []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Known != "" && !r.Strict {
			out = append(out, p)
		}
	}
	return out
}

// TotalRuns counts every run submitted.
func (r *Report) TotalRuns() int {
	n := 0
	for _, c := range r.Runs {
		n += c.Runs
	}
	return n
}

// maxProblems bounds the problems printed; the rest are counted.
const maxProblems = 60

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("reaflow chaos soak: seed %d, %d endpoint(s), %d jobs in flight", r.Seed, r.Endpoints, r.Concurrency)
	if len(r.ServerEnv) > 0 {
		p("restate-server with %s", strings.Join(r.ServerEnv, " "))
	}
	p("")
	p("workflows      %d runs", r.TotalRuns())
	names := make([]string, 0, len(r.Runs))
	for name := range r.Runs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := r.Runs[name]
		line := fmt.Sprintf("  %-22s %5d: %d completed, %d failed", name, c.Runs, c.Completed, c.Failed)
		if c.Unfinished > 0 {
			line += fmt.Sprintf(", %d NOT FINISHED", c.Unfinished)
		}
		p("%s", line)
	}
	p("steps          %d activity steps and %d compensations with a provider effect", r.Steps, r.Compensations)
	p("redrives       %d failed runs redriven (%d failed as planned, %d on a known issue), %d completed: %d steps reused without a call, %d run under a key of their own",
		r.Redrives, r.RedrivesPlanned, r.Redrives-r.RedrivesPlanned, r.RedrivesCompleted, r.ReusedSteps, r.RedrivenNewKeys)
	if r.Schedules > 0 {
		p("schedules      %d schedules every %v: %d fires checked, each one run under its fire time's id", r.Schedules, scheduleEvery, r.ScheduleFires)
	}
	conns := ""
	if len(r.EndpointConnections) > 1 {
		conns = fmt.Sprintf(" (connections per endpoint: %s)", joinInts(r.EndpointConnections))
	}
	p("kills          %d endpoint SIGKILLs, %d endpoint restarts%s", r.EndpointKills, r.EndpointStarts, conns)
	p("restarts       %d restate-server SIGKILLs and restarts on the same data, %v down in all", r.ServerRestarts, r.ServerDown.Round(time.Millisecond))
	p("raw calls      %d provider calls for %d keys: %d retries", r.RawCalls, r.Keys, r.Retries)
	p("faults         %s injected, %d of them after the effect (the answer lost); %d calls abandoned by a killed caller", faults(r.Faults), r.FaultsAfterEffect, r.Abandoned)
	p("effects        %d (%d applied, %d business refusals stored)", r.Effects+r.Refusals, r.Effects, r.Refusals)
	p("duplicates     %d prevented by idempotency keys (calls answered from a key's record, on %d keys)", r.Replays, r.ReplayedKeys)
	p("clients        %d submissions retried, %d signals delivered in %d attempts, %d status queries failed", r.SubmitRetries, r.SignalsDelivered, r.SignalAttempts, r.StatusQueryErrors)
	p("run time       p50 %v, p95 %v, max %v (accepted to ended)", r.RunTimeP50.Round(time.Millisecond), r.RunTimeP95.Round(time.Millisecond), r.RunTimeMax.Round(time.Millisecond))
	p("wall time      %v (startup %v, submission %v, drain %v)", r.Wall.Round(time.Millisecond), r.Startup.Round(time.Millisecond), r.Submission.Round(time.Millisecond), r.Drain.Round(time.Millisecond))
	p("")
	if r.Interrupted {
		p("INTERRUPTED: the runs were not checked")
		return
	}
	if known := r.known(); len(known) > 0 {
		runs := map[string]bool{}
		issues := map[string]bool{}
		for _, pr := range known {
			runs[pr.Run] = true
			issues[pr.Known] = true
		}
		p("KNOWN ISSUES (not counted; --strict counts them): %d problems of %d runs", len(known), len(runs))
		for name := range issues {
			p("  %s: %s", name, KnownIssues[name])
		}
		for i, pr := range known {
			if i == maxProblems {
				p("  ... and %d more", len(known)-maxProblems)
				break
			}
			p("  %s", pr)
		}
		if r.RunDumps != "" {
			p("  each run's input, effects, invocations and journal: %s/<run id>.txt", r.RunDumps)
		}
		p("")
	}
	failures := r.failures()
	if len(failures) == 0 {
		p("PASS: every run ended as expected, one effect per key and none without a step, compensations once each in reverse order, redrives reused without a call, schedules fired once per tick")
		return
	}
	p("FAIL: %d problems", len(failures))
	for i, pr := range failures {
		if i == maxProblems {
			p("  ... and %d more", len(failures)-maxProblems)
			break
		}
		p("  %s", pr)
	}
	if len(r.Events) > 0 {
		p("")
		p("chaos timeline (seconds since start):")
		for _, e := range r.Events {
			p("  %s", e)
		}
	}
	if r.RunDumps != "" {
		p("")
		p("each failing run's input, expected and seen effects, invocations and journal: %s/<run id>.txt", r.RunDumps)
	}
	if r.WorkDir != "" {
		p("logs kept in %s (restate/restate-server.log, endpoint-*.log, events.log)", r.WorkDir)
	}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, "/")
}

func faults(byStatus map[int]int) string {
	if len(byStatus) == 0 {
		return "none"
	}
	statuses := make([]int, 0, len(byStatus))
	total := 0
	for s, n := range byStatus {
		statuses = append(statuses, s)
		total += n
	}
	slices.Sort(statuses)
	parts := make([]string, len(statuses))
	for i, s := range statuses {
		parts[i] = fmt.Sprintf("%d×%d", byStatus[s], s)
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}
