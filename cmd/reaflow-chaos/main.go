package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/reaflow/reaflow/internal/testkit/chaos"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reaflow-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	short := fs.Bool("short", false, "the CI size: 100 runs, 12 in flight, 20 endpoint kills, 2 server restarts, 2 schedules, unless given")
	preset := chaos.Long()
	cfg := preset
	fs.StringVar(&cfg.Reaflow, "reaflow", "", "the reaflow `binary` the endpoints run (default: build ./cmd/reaflow)")
	fs.StringVar(&cfg.Workflows, "workflows", "workflows", "the `directory` of the example definitions")
	fs.IntVar(&cfg.Runs, "runs", preset.Runs, "submit at least this many workflow runs")
	fs.DurationVar(&cfg.Duration, "duration", 0, "keep submitting until this much time has passed, even after --runs")
	fs.IntVar(&cfg.Concurrency, "concurrency", preset.Concurrency, "jobs in flight at once")
	fs.Uint64Var(&cfg.Seed, "seed", preset.Seed, "seed of the jobs, their inputs, the faults and the kill schedule")
	fs.IntVar(&cfg.Endpoints, "endpoints", preset.Endpoints, "2: two endpoints behind one deployment; 1: one endpoint restarted repeatedly")
	fs.IntVar(&cfg.EndpointKills, "endpoint-kills", preset.EndpointKills, "endpoint SIGKILLs, at random points of the submission")
	fs.DurationVar(&cfg.MaxDown, "max-down", preset.MaxDown, "longest a killed endpoint stays down")
	fs.IntVar(&cfg.ServerRestarts, "server-restarts", preset.ServerRestarts, "restate-server SIGKILLs and restarts during the submission")
	fs.Float64Var(&cfg.FaultRate, "fault-rate", preset.FaultRate, "probability of each injected provider failure on a key's first calls")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", preset.DrainTimeout, "after the submission, how long runs may take to finish before they count as stuck")
	fs.StringVar(&cfg.WorkDir, "workdir", "", "directory for the server's data and the logs (default: a temporary one, kept only on failure)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work directory after a soak that passed")
	fs.IntVar(&cfg.Schedules, "schedules", preset.Schedules, "schedules firing every second during the soak, checked at the end")
	fs.BoolVar(&cfg.Strict, "strict", false, "fail on problems of known issues too (a bounded retry budget used up by crashes)")
	alwaysReplay := fs.Bool("always-replay", false, "have restate-server suspend every invocation whenever it waits, so every step is also reached by replay")
	quiet := fs.Bool("quiet", false, "no progress lines, only the report")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *short {
		applyShort(fs, &cfg)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "reaflow-chaos: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if *alwaysReplay {
		cfg.ServerEnv = append(cfg.ServerEnv, "RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT=0s")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Reaflow == "" {
		dir, err := os.MkdirTemp("", "reaflow-chaos-bin-")
		if err != nil {
			fmt.Fprintln(stderr, "reaflow-chaos:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if cfg.Reaflow, err = chaos.BuildReaflow(ctx, dir); err != nil {
			fmt.Fprintln(stderr, "reaflow-chaos:", err)
			return 1
		}
	}
	rep, err := chaos.Run(ctx, cfg)
	if rep != nil {
		rep.Print(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "reaflow-chaos:", err)
		return 1
	}
	if !rep.Passed() {
		return 1
	}
	return 0
}

// applyShort gives the flags left out the values of the CI size, so that
// --short --seed 7 is the CI soak with another seed.
func applyShort(fs *flag.FlagSet, cfg *chaos.Config) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	s := chaos.Short()
	for name, set := range map[string]func(){
		"runs":            func() { cfg.Runs = s.Runs },
		"concurrency":     func() { cfg.Concurrency = s.Concurrency },
		"seed":            func() { cfg.Seed = s.Seed },
		"endpoints":       func() { cfg.Endpoints = s.Endpoints },
		"endpoint-kills":  func() { cfg.EndpointKills = s.EndpointKills },
		"max-down":        func() { cfg.MaxDown = s.MaxDown },
		"server-restarts": func() { cfg.ServerRestarts = s.ServerRestarts },
		"fault-rate":      func() { cfg.FaultRate = s.FaultRate },
		"drain-timeout":   func() { cfg.DrainTimeout = s.DrainTimeout },
		"schedules":       func() { cfg.Schedules = s.Schedules },
	} {
		if !given[name] {
			set()
		}
	}
}
