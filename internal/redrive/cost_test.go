package redrive_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/testkit/bench"
	"github.com/reaflow/reaflow/internal/testkit/devstack"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
)

// What redrive costs: the bytes Restate keeps for finished runs over the
// redrive window, and the time and journal of a redrive against the run it
// redrives. BENCHMARKS.md records the numbers.

// startStack starts a restate-server on a fresh base dir with reaflow's
// services, the sandbox providers, the benchmark's no-op activity, and
// "last", which fails (terminally) in a run that is not a redrive.
func startStack(tb testing.TB, baseDir string, noops *atomic.Int64) *devstack.Stack {
	tb.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	stack, err := devstack.Start(context.Background(), devstack.WithLogger(logger),
		devstack.WithRestateOptions(restateserver.WithBaseDir(baseDir)),
		devstack.WithActivities(func(reg *activities.Registry) {
			activities.Register(reg, bench.NoopActivity, func(ctx *activities.Context, in bench.NoopInput) (bench.NoopOutput, error) {
				noops.Add(1)
				return bench.Noop(ctx, in)
			})
			activities.Register(reg, "last", func(ctx *activities.Context, _ struct{}) (map[string]bool, error) {
				if !strings.Contains(ctx.WorkflowID, "-redrive-") {
					return nil, activities.TerminalErrorf("unavailable", "the last step fails until redriven")
				}
				return map[string]bool{"ok": true}, nil
			}, activities.WithErrors("unavailable"))
		}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := stack.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return stack
}

func newClient(tb testing.TB, stack *devstack.Stack) *client.Client {
	tb.Helper()
	c, err := client.New(stack.Restate.IngressURL, stack.Restate.AdminURL)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// longDefinition has k-1 no-op steps and then "last".
func longDefinition(k int) []byte {
	steps := make([]string, k)
	for i := range k - 1 {
		steps[i] = fmt.Sprintf(`{"id": %q, "activity": "noop", "with": {"order": "A-1001", "amount": 42.5, "ref": "A-1001"}}`, bench.StepID(i+1))
	}
	steps[k-1] = fmt.Sprintf(`{"id": %q, "activity": "last"}`, bench.StepID(k))
	return []byte(`{"name": "long", "steps": [` + strings.Join(steps, ",\n") + `]}`)
}

// BenchmarkRedrive compares a 1,000-step run that fails at its last step
// with its redrive, which reuses the 999 completed steps: no provider call
// and no journal entry for them. Each reports its journal entries, those
// of the invocations it called (a redrive's claim of its lineage), and
// its provider calls (calls of the no-op activity) per run. The time of a
// redrive includes planning it (reading the failed run's journal),
// which plan-ms/run reports apart.
//
//	go test ./internal/redrive -run '^$' -bench Redrive -benchtime 5x
func BenchmarkRedrive(b *testing.B) {
	const k = 1000
	var noops atomic.Int64
	stack := startStack(b, b.TempDir(), &noops)
	c := newClient(b, stack)
	definition := longDefinition(k)
	var seq atomic.Int64
	// fail runs the definition to its failure at the last step.
	fail := func(b *testing.B) string {
		id := fmt.Sprintf("long-%d-%d", time.Now().UnixNano(), seq.Add(1))
		if _, err := c.Submit(b.Context(), client.SubmitRequest{Definition: definition, ID: id}); err != nil {
			b.Fatal(err)
		}
		var failed *client.RunError
		if _, err := c.Attach(b.Context(), id); err == nil || !errors.As(err, &failed) || failed.Step != bench.StepID(k) {
			b.Fatalf("run %s: want a failure at its last step, got %v", id, err)
		}
		return id
	}
	// journal reports the journal entries of the run's invocation, and
	// of those it called (the lineage object's claim).
	journal := func(b *testing.B, id string) {
		j, err := bench.CountJournal(b.Context(), stack.Restate, bench.Plain, id)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(j.Run), "entries/run")
		b.ReportMetric(float64(j.Dedup), "called-entries/run")
	}

	b.Run("original", func(b *testing.B) {
		var id string
		before := noops.Load()
		for range b.N {
			id = fail(b)
		}
		b.StopTimer()
		b.ReportMetric(float64(noops.Load()-before)/float64(b.N), "calls/run")
		journal(b, id)
	})
	b.Run("redrive", func(b *testing.B) {
		var id string
		var calls int64
		var planning time.Duration
		for range b.N {
			b.StopTimer()
			failed := fail(b)
			before := noops.Load()
			b.StartTimer()
			planned := time.Now()
			plan, err := c.PlanRedrive(b.Context(), failed, client.RedriveOptions{})
			if err != nil {
				b.Fatal(err)
			}
			planning += time.Since(planned)
			if err := c.StartRedrive(b.Context(), plan); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Attach(b.Context(), plan.ID); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			calls += noops.Load() - before
			id = plan.ID
			b.StartTimer()
		}
		b.StopTimer()
		b.ReportMetric(float64(calls)/float64(b.N), "calls/run")
		b.ReportMetric(planning.Seconds()*1000/float64(b.N), "plan-ms/run")
		journal(b, id)
		if calls != 0 {
			b.Errorf("the redrive called the no-op activity %d times; its 999 steps are reused", calls)
		}
	})
}

// TestStorageOfFinishedRuns measures what restate-server keeps on disk for
// finished order-fulfillment runs, which the redrive window keeps for 14
// days: REAFLOW_STORAGE_RUNS runs (1,000 for BENCHMARKS.md) on a fresh
// base dir, at REAFLOW_STORAGE_CONCURRENCY (16) at a time, `du -sb` of the
// base dir before, right after, after a minute idle, and once the server
// has stopped. Skipped unless REAFLOW_STORAGE_RUNS is set: a thousand runs
// take a minute or two.
//
//	REAFLOW_STORAGE_RUNS=1000 go test ./internal/redrive -run Storage -v -timeout 30m
func TestStorageOfFinishedRuns(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("REAFLOW_STORAGE_RUNS"))
	if runs <= 0 {
		t.Skip("set REAFLOW_STORAGE_RUNS to the number of runs to measure")
	}
	concurrency := 16
	if n, err := strconv.Atoi(os.Getenv("REAFLOW_STORAGE_CONCURRENCY")); err == nil && n > 0 {
		concurrency = n
	}
	definition, err := os.ReadFile("../../workflows/order-fulfillment.json")
	if err != nil {
		t.Fatal(err)
	}
	baseDir := t.TempDir()
	var noops atomic.Int64
	stack := startStack(t, baseDir, &noops)
	c := newClient(t, stack)
	settle := func() { time.Sleep(time.Minute) }
	if v := os.Getenv("REAFLOW_STORAGE_SETTLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		settle = func() { time.Sleep(d) }
	}

	settle()
	before := du(t, baseDir)
	t.Logf("base dir before: %d bytes %s", before, breakdown(t, baseDir))
	stamp := time.Now().UnixNano()
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				id := fmt.Sprintf("storage-%d-%d", stamp, i)
				input := fmt.Sprintf(`{"orderId": %q, "customerId": "cus_%d", "amount": 42.5, "address": "1 Loop Road, Localhost 127", "email": "ada@example.com", "items": ["keyboard", "mouse"]}`, id, i)
				if _, err := c.Submit(t.Context(), client.SubmitRequest{Definition: definition, File: "order-fulfillment.json", Input: json.RawMessage(input), ID: id}); err != nil {
					t.Error(err)
					failures.Add(1)
					continue
				}
				if _, err := c.Attach(t.Context(), id); err != nil {
					t.Error(err)
					failures.Add(1)
				}
			}
		}()
	}
	for i := range runs {
		work <- i
	}
	close(work)
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d runs failed", failures.Load())
	}
	elapsed := time.Since(start)
	per1000 := func(after int64) string {
		return fmt.Sprintf("%d bytes, +%d (%.0f KiB per 1,000 runs)", after, after-before, float64(after-before)*1000/float64(runs)/1024)
	}
	after := du(t, baseDir)
	t.Logf("%d runs in %s; right after: %s %s", runs, elapsed.Round(time.Second), per1000(after), breakdown(t, baseDir))
	settle()
	settled := du(t, baseDir)
	t.Logf("after settling: %s %s", per1000(settled), breakdown(t, baseDir))
	if err := stack.Restate.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := du(t, baseDir)
	t.Logf("server stopped: %s %s", per1000(stopped), breakdown(t, baseDir))
}

// du is `du -sb dir`: the apparent size of everything under dir.
func du(t *testing.T, dir string) int64 {
	t.Helper()
	out, err := exec.Command("du", "-sb", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// breakdown is `du -b` of the directories two levels under dir, the
// biggest first.
func breakdown(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("du", "-b", "--max-depth=2", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] != dir {
			parts = append(parts, strings.TrimPrefix(f[1], dir+"/")+"="+f[0])
		}
	}
	return "(" + strings.Join(parts, " ") + ")"
}
