package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	reaflow "github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
)

// settleTimeout bounds the wait, after the last run ended, for every other
// invocation (parallel branches, foreach groups, dedup calls, signals) to
// end too.
const settleTimeout = time.Minute

// Run performs one soak and returns its report. The error is for a soak
// that could not be carried out (no binary, a server that does not
// start); failed expectations are in the report's Problems.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "chaos: "+format+"\n", args...)
		}
	}
	defs := map[string]string{}
	for _, f := range Files {
		data, err := os.ReadFile(filepath.Join(cfg.Workflows, f))
		if err != nil {
			return nil, fmt.Errorf("the soak runs the examples: %w", err)
		}
		defs[f] = string(data)
	}
	dir, ownDir := cfg.WorkDir, false
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "reaflow-chaos-"); err != nil {
			return nil, err
		}
		ownDir = true
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	start := time.Now()
	rep := &Report{Seed: cfg.Seed, Endpoints: cfg.Endpoints, Concurrency: cfg.Concurrency, ServerEnv: cfg.ServerEnv, Strict: cfg.Strict, Runs: map[string]*ScenarioCount{}, Faults: map[int]int{}, WorkDir: dir}
	logf("starting restate-server, %d endpoint(s) and the providers in %s", cfg.Endpoints, dir)
	s, err := startStack(ctx, cfg, dir)
	if err != nil {
		if ownDir {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	stopped := false
	stopStack := func() {
		if !stopped {
			stopped = true
			if err := s.stop(); err != nil {
				logf("%v", err)
			}
		}
	}
	defer stopStack()
	rep.Startup = time.Since(start)

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	w := newWatcher(s.server)
	go w.loop(watchCtx)

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 4 * cfg.Concurrency
	api, err := reaflow.New(s.server.IngressURL, s.server.AdminURL, reaflow.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		return nil, err
	}
	c := &client{ingress: s.server.IngressURL, admin: admin.New(s.server.AdminURL, ""), http: &http.Client{Transport: transport}, watch: w, defs: defs,
		api: api, ledger: s.providers.Ledger, outages: s.recorder.outages}
	defer transport.CloseIdleConnections()
	schedules, err := startSchedules(ctx, api, cfg.Schedules, cfg.Seed)
	if err != nil {
		return nil, err
	}

	// Submission: jobs are planned from the seed and started while there
	// are free slots, until enough runs are planned and the duration (if
	// any) has passed.
	var launched atomic.Int64
	subStart := time.Now()
	progress := func() float64 {
		p := float64(launched.Load()) / float64(cfg.Runs)
		if cfg.Duration > 0 {
			p = min(p, float64(time.Since(subStart))/float64(cfg.Duration))
		}
		return min(p, 1)
	}
	m := &monkey{s: s, cfg: cfg, progress: progress}
	stopChaos := make(chan struct{})
	monkeyDone := make(chan struct{})
	go func() {
		defer close(monkeyDone)
		m.run(ctx, stopChaos, start)
	}()

	runCtx, stopRuns := context.WithCancel(ctx)
	defer stopRuns()
	p := &planner{seed: cfg.Seed, sandboxURL: s.sandboxURL}
	var (
		mu       sync.Mutex
		obs      []*observation
		wg       sync.WaitGroup
		finished atomic.Int64
	)
	sem := make(chan struct{}, cfg.Concurrency)
	statusDone := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-statusDone:
				return
			case <-t.C:
				m.mu.Lock()
				kills, restarts := m.endpointKills, m.serverRestarts
				m.mu.Unlock()
				logf("%5.0fs: %d runs started, %d finished; %d endpoint kills, %d server restarts",
					time.Since(start).Seconds(), launched.Load(), finished.Load(), kills, restarts)
			}
		}
	}()
	defer close(statusDone)

	logf("submitting at least %d runs (seed %d)", cfg.Runs, cfg.Seed)
submit:
	for i := 0; int(launched.Load()) < cfg.Runs || time.Since(subStart) < cfg.Duration; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break submit
		}
		j := p.job(i)
		n := len(j.runs)
		if j.followUp != nil {
			n++
		}
		launched.Add(int64(n))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			o := c.driveJob(runCtx, j)
			finished.Add(int64(len(o)))
			mu.Lock()
			obs = append(obs, o...)
			mu.Unlock()
		}()
	}
	rep.Submission = time.Since(subStart)
	logf("submission done after %v; stopping the chaos and bringing every process back up", rep.Submission.Round(time.Millisecond))
	close(stopChaos)
	<-monkeyDone
	chaosEnd := time.Now()

	drainStart := time.Now()
	drained := make(chan struct{})
	go func() {
		wg.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(cfg.DrainTimeout):
		logf("runs still unfinished %v after the submission: stopping the wait", cfg.DrainTimeout)
		stopRuns()
		<-drained
	case <-ctx.Done():
		stopRuns()
		<-drained
	}
	rep.Drain = time.Since(drainStart)
	m.mu.Lock()
	rep.EndpointKills, rep.EndpointStarts = m.endpointKills, m.endpointStarts
	rep.ServerRestarts, rep.ServerDown = m.serverRestarts, m.serverDown
	rep.Events = m.events
	m.mu.Unlock()
	if ctx.Err() != nil {
		// Interrupted: the runs were cut off, so checking them would only
		// list what the interruption did.
		rep.Interrupted = true
		tally(rep, obs, s.providers.Ledger(), s.recorder.snapshot())
		stopStack()
		rep.Wall = time.Since(start)
		if ownDir && !cfg.Keep {
			os.RemoveAll(dir)
			rep.WorkDir = ""
		}
		return rep, fmt.Errorf("interrupted: %w", ctx.Err())
	}

	if len(schedules) > 0 {
		logf("pausing %d schedules once they have fired after the chaos", len(schedules))
	}
	for _, sc := range schedules {
		sc.finish(ctx, api, s.server, chaosEnd)
		obs = append(obs, sc.observations()...)
	}
	leftovers := settle(ctx, s.server, logf)
	// The last word on the runs that did not finish.
	w.refresh(ctx)
	for _, o := range obs {
		if !o.Finished {
			o.State, _ = w.state(o.Run.ID)
		}
	}

	ledger := s.providers.Ledger()
	rec := s.recorder.snapshot()
	slices.SortFunc(obs, func(a, b *observation) int { return strings.Compare(a.Run.ID, b.Run.ID) })
	for _, o := range obs {
		if o.Run.Resolve != nil && o.Finished {
			o.Run.Expect = o.Run.Resolve(o, &ledger)
		}
	}
	rep.Problems = verify(obs, ledger)
	for _, sc := range schedules {
		rep.Problems = append(rep.Problems, verifySchedule(sc)...)
		rep.Schedules++
		rep.ScheduleFires += len(sc.fireIDs())
	}
	for _, l := range leftovers {
		rep.Problems = append(rep.Problems, Problem{Check: "unfinished invocation", Detail: l})
	}
	m.mu.Lock()
	for _, f := range m.failures {
		rep.Problems = append(rep.Problems, Problem{Check: "chaos", Detail: f})
	}
	m.mu.Unlock()
	for _, crash := range s.crashes() {
		rep.Problems = append(rep.Problems, Problem{Check: "endpoint crash", Detail: crash})
	}
	if rep.ServerRestarts < cfg.ServerRestarts {
		rep.Problems = append(rep.Problems, Problem{Check: "chaos", Detail: fmt.Sprintf("restate-server was restarted %d times, expected %d", rep.ServerRestarts, cfg.ServerRestarts)})
	}
	if rep.EndpointKills < cfg.EndpointKills {
		rep.Problems = append(rep.Problems, Problem{Check: "chaos", Detail: fmt.Sprintf("endpoints were killed %d times, expected %d", rep.EndpointKills, cfg.EndpointKills)})
	}
	if s.balancer != nil {
		rep.EndpointConnections = s.balancer.Accepted()
	}
	tally(rep, obs, ledger, rec)
	rep.StatusQueryErrors = w.queryErrors()
	// While the server still runs: what Restate knows of the failing runs.
	rep.RunDumps = dumpRuns(ctx, dir, s.server, obs, rep.Problems, ledger)

	stopWatch()
	stopStack()
	rep.Wall = time.Since(start)
	if err := os.WriteFile(filepath.Join(dir, "events.log"), []byte(strings.Join(rep.Events, "\n")+"\n"), 0o644); err != nil {
		logf("write events: %v", err)
	}
	if len(rep.Problems) == 0 && ownDir && !cfg.Keep {
		os.RemoveAll(dir)
		rep.WorkDir = ""
	}
	if ctx.Err() != nil {
		return rep, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return rep, nil
}

// settle waits until Restate has no invocation left that is not
// completed, and returns those still there when the wait ends.
func settle(ctx context.Context, q querier, logf func(string, ...any)) []string {
	const sql = `SELECT id, target, status, last_failure, retry_count FROM sys_invocation WHERE status != 'completed'`
	deadline := time.Now().Add(settleTimeout)
	var last []string
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		rows, err := q.Query(qctx, sql)
		cancel()
		if err == nil {
			last = last[:0]
			for _, r := range rows {
				last = append(last, fmt.Sprintf("%s %s: status %s, retry count %v, last failure %q", str(r["id"]), str(r["target"]), str(r["status"]), r["retry_count"], str(r["last_failure"])))
			}
			if len(last) == 0 {
				return nil
			}
		} else {
			last = []string{"sys_invocation not readable: " + err.Error()}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			logf("%d invocations still not completed", len(last))
			return last
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// tally fills in the report's numbers.
func tally(rep *Report, obs []*observation, l sandbox.Ledger, rec recorded) {
	var times []time.Duration
	steps, undos := map[string]bool{}, map[string]bool{}
	for _, o := range obs {
		c := rep.Runs[o.Run.Scenario]
		if c == nil {
			c = &ScenarioCount{}
			rep.Runs[o.Run.Scenario] = c
		}
		c.Runs++
		switch {
		case !o.Finished:
			c.Unfinished++
		case o.State.Result == "success":
			c.Completed++
		default:
			c.Failed++
		}
		if o.Finished {
			times = append(times, o.End.Sub(o.Start))
		}
		// By key: a dedup step that twins share is one effect.
		for _, e := range o.Run.Expect.Effects {
			if e.Compensation {
				undos[e.Key] = true
			} else {
				steps[e.Key] = true
			}
		}
		if o.Run.RedriveOf != "" {
			rep.Redrives++
			if o.Run.Planned {
				rep.RedrivesPlanned++
			}
			if o.Finished && o.State.Result == "success" {
				rep.RedrivesCompleted++
			}
			for _, e := range o.Run.Expect.Effects {
				if e.Reused {
					rep.ReusedSteps++
				}
			}
			rep.RedrivenNewKeys += o.Run.NewKeys
		}
		rep.SubmitRetries += max(o.SubmitAttempts-1, 0)
		rep.SignalAttempts += o.SignalAttempts
		if o.SignalDelivered {
			rep.SignalsDelivered++
		}
	}
	// Steps that reached a provider: an optional step cancelled before its
	// call has no effect.
	applied := map[string]bool{}
	for _, e := range l.Effects {
		applied[e.IdempotencyKey] = true
	}
	for k := range steps {
		if applied[k] {
			rep.Steps++
		}
	}
	rep.Compensations = len(undos)
	slices.Sort(times)
	rep.RunTimeP50, rep.RunTimeP95 = percentile(times, 0.5), percentile(times, 0.95)
	if len(times) > 0 {
		rep.RunTimeMax = times[len(times)-1]
	}

	rep.RawCalls = l.Totals.Calls
	rep.Keys = len(l.Calls)
	for _, n := range l.Calls {
		rep.Retries += n - 1
	}
	for _, e := range l.Effects {
		if e.Succeeded() {
			rep.Effects++
		} else {
			rep.Refusals++
		}
		if e.Fault != "" {
			rep.FaultsAfterEffect++
		}
	}
	rep.Faults = rec.Faults
	rep.Abandoned = rec.Aborted
	for _, n := range rec.Replays {
		rep.Replays += n
	}
	rep.ReplayedKeys = len(rec.Replays)
}
