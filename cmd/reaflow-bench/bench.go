package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/bench"
)

const benchUsage = `Usage:
  reaflow-bench [flags]

Starts restate-server on free ports and the benchmark endpoint (the
hand-written Baseline workflow and the reaflow interpreter) as a child
process, checks that every variant computes the same output, then drives
runs of K no-op steps at each concurrency C, the variants interleaved, and
prints one row per point and variant: the median repetition's throughput
and latency, the median of its per-repetition ratios to the baseline, the
journal entries of one run, and the CPU per step of the endpoint, the
server and the load generator.

Flags:
`

// benchCommand runs the whole benchmark.
type benchCommand struct{}

func (*benchCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reaflow-bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	f := addBenchFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	settings, err := f.settings()
	if err != nil {
		fmt.Fprintln(fs.Output(), err)
		return errUsage
	}
	started := time.Now()

	var endpointArgs []string
	if f.cpuProfile != "" {
		endpointArgs = append(endpointArgs, "--cpuprofile", f.cpuProfile)
	}
	s, err := startStack(ctx, settings.Steps, settings.Concurrency, f.timeout, endpointArgs...)
	if err != nil {
		return err
	}
	defer s.stop()
	plan := settings.Plan()
	results := make([]bench.Result, 0, len(plan))
	for i, sec := range plan {
		r, err := s.target.Measure(ctx, sec)
		if err != nil {
			return s.withLog(err)
		}
		progress("[%d/%d] %s %-9s rep %d: %d runs in %s, %.1f wf/s, p50 %s, p99 %s, journal %s",
			i+1, len(plan), sec.Point, sec.Variant, sec.Rep+1, r.Summary.Runs, r.Summary.Elapsed.Round(time.Millisecond),
			r.Summary.PerSecond, r.Summary.P50.Round(10*time.Microsecond), r.Summary.P99.Round(10*time.Microsecond), r.Journal)
		results = append(results, r)
	}
	peak, err := bench.ReadProc(s.endpoint.Pid)
	if err != nil {
		return err
	}
	report := &bench.Report{
		Machine:         s.machine,
		Revision:        revision(),
		Command:         commandLine(fs),
		Rows:            bench.Aggregate(results),
		EndpointPeakRSS: peak.HWM,
		Wall:            time.Since(started),
	}
	if err := writeReports(report, f.markdown, f.json); err != nil {
		return err
	}
	for _, p := range report.Problems() {
		progress("JOURNAL MISMATCH: %s", p)
	}
	return nil
}

// progress reports on stderr, keeping stdout for the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "reaflow-bench: "+format+"\n", args...)
}
