package bench

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Target is the system under load: where runs are sent and which
// processes do the work.
type Target struct {
	Client  *Client
	Querier Querier
	// EndpointPid and ServerPid are the service endpoint's and the
	// restate-server's processes; their CPU and memory are read from /proc.
	EndpointPid, ServerPid int
	// Timeout bounds each run.
	Timeout time.Duration
}

// Result is one measured section.
type Result struct {
	Section
	Summary Summary
	// Journal counts the entries of the section's first measured run.
	Journal Journal
	// CPU used during the measured runs (not the warm-up) by the
	// endpoint, the server and the load generator (this process).
	EndpointCPU, ServerCPU, LoadCPU time.Duration
	// Endpoint is the endpoint's memory after the section.
	Endpoint ProcStats
}

// Measure makes the warm-up runs of section s, then measures its runs,
// and counts the journal entries of one measured run. The client must be
// prepared for s.Steps.
func (t *Target) Measure(ctx context.Context, s Section) (Result, error) {
	call := func(phase string) func(ctx context.Context, i int) error {
		return func(ctx context.Context, i int) error {
			ctx, cancel := context.WithTimeout(ctx, t.Timeout)
			defer cancel()
			_, err := t.Client.Run(ctx, s.Variant, s.Steps, runID(s, phase, i))
			return err
		}
	}
	if _, err := Drive(ctx, s.Warmup, s.Concurrency, call("w")); err != nil {
		return Result{}, fmt.Errorf("%s %s warm-up: %w", s.Point, s.Variant, err)
	}
	pids := []int{t.EndpointPid, t.ServerPid, os.Getpid()}
	before, err := readAll(pids)
	if err != nil {
		return Result{}, err
	}
	sample, err := Drive(ctx, s.Runs, s.Concurrency, call("m"))
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w", s.Point, s.Variant, err)
	}
	after, err := readAll(pids)
	if err != nil {
		return Result{}, err
	}
	r := Result{
		Section:     s,
		Summary:     Summarize(sample),
		EndpointCPU: after[0].CPU - before[0].CPU,
		ServerCPU:   after[1].CPU - before[1].CPU,
		LoadCPU:     after[2].CPU - before[2].CPU,
		Endpoint:    after[0],
	}
	if r.Journal, err = CountJournal(ctx, t.Querier, s.Variant, runID(s, "m", 0)); err != nil {
		return Result{}, fmt.Errorf("%s %s: journal: %w", s.Point, s.Variant, err)
	}
	return r, nil
}

// runID is unique per section, phase and run, and says which they were
// when it shows up in Restate's tables.
func runID(s Section, phase string, i int) string {
	return fmt.Sprintf("%s-k%d-c%d-r%d-%s%d", s.Variant, s.Steps, s.Concurrency, s.Rep, phase, i)
}

func readAll(pids []int) ([]ProcStats, error) {
	stats := make([]ProcStats, len(pids))
	for i, pid := range pids {
		var err error
		if stats[i], err = ReadProc(pid); err != nil {
			return nil, err
		}
	}
	return stats, nil
}
