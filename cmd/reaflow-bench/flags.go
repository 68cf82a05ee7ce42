package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/bench"
)

// benchFlags are the benchmark's settings as flags.
type benchFlags struct {
	steps, concurrency                          intList
	variants                                    variantList
	reps, runs, concurrentRuns, fullSteps, warm *int
	timeout                                     time.Duration
	markdown, json, cpuProfile                  string
}

// The defaults keep `make bench` within about five minutes on two cores,
// with sections of about a second: long enough for /proc's 10ms CPU
// ticks, short enough for five interleaved repetitions.
func addBenchFlags(fs *flag.FlagSet) *benchFlags {
	f := &benchFlags{steps: intList{1, 3, 9, 27}, concurrency: intList{1, 32}, variants: variantList(bench.Variants)}
	fs.Var(&f.steps, "steps", "activity steps per run (K), comma-separated")
	fs.Var(&f.concurrency, "concurrency", "runs in flight (C), comma-separated")
	fs.Var(&f.variants, "variants", "variants to measure, comma-separated")
	f.reps = fs.Int("reps", 5, "repetitions of each point and variant; medians are reported")
	f.runs = fs.Int("runs", 80, "measured runs per repetition at concurrency 1")
	f.concurrentRuns = fs.Int("concurrent-runs", 400, "measured runs per repetition at higher concurrency")
	f.fullSteps = fs.Int("full-steps", 3, "runs of more steps than this are measured proportionally fewer times (runs × full-steps / K)")
	f.warm = fs.Int("warmup", 1, "warm-up runs per worker before the first measurement of each point and variant")
	fs.DurationVar(&f.timeout, "timeout", time.Minute, "longest a single run may take")
	fs.StringVar(&f.markdown, "markdown", "", "also write the report as Markdown to this `file`")
	fs.StringVar(&f.json, "json", "", "also write the report as JSON to this `file`")
	fs.StringVar(&f.cpuProfile, "endpoint-cpuprofile", "", "write a CPU profile of the endpoint over the whole benchmark to this `file` (go tool pprof)")
	return f
}

func (f *benchFlags) settings() (bench.Settings, error) {
	if *f.reps < 1 || *f.runs < 1 || *f.concurrentRuns < 1 || *f.fullSteps < 1 || *f.warm < 0 || f.timeout <= 0 {
		return bench.Settings{}, errors.New("-reps, -runs, -concurrent-runs, -full-steps and -timeout must be positive, -warmup not negative")
	}
	return bench.Settings{
		Steps: f.steps, Concurrency: f.concurrency, Variants: f.variants, Reps: *f.reps,
		Runs: *f.runs, ConcurrentRuns: *f.concurrentRuns, FullSteps: *f.fullSteps, Warmup: *f.warm,
	}, nil
}

// commandLine spells out every setting that shapes the numbers, defaults
// included, so a report says exactly how to measure it again. Where the
// output goes is left out.
func commandLine(fs *flag.FlagSet) string {
	parts := []string{"reaflow-bench"}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "markdown" && f.Name != "json" && f.Name != "endpoint-cpuprofile" {
			parts = append(parts, "--"+f.Name+"="+f.Value.String())
		}
	})
	return strings.Join(parts, " ")
}

// intList is a flag of comma-separated positive integers.
type intList []int

func (l *intList) String() string {
	s := make([]string, len(*l))
	for i, n := range *l {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	var out intList
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

// variantList is a flag of comma-separated variant names.
type variantList []bench.Variant

func (l *variantList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}

func (l *variantList) Set(v string) error {
	var out variantList
	for _, f := range strings.Split(v, ",") {
		variant, err := bench.ParseVariant(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		out = append(out, variant)
	}
	*l = out
	return nil
}
