package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/scenario"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
)

type testCommand struct{ m *Main }

func (*testCommand) Name() string { return "test" }
func (*testCommand) Summary() string {
	return "run scenario files (*.test.json) with mocked activities on a Restate of their own"
}

func (c *testCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("test", "test [--run REGEXP] [--json] [--parallel N] FILE...", `
reaflow test workflows/*.test.json
reaflow test --run 'sold out' workflows/trip-booking.test.json
reaflow test --schema > scenario.schema.json`)
	run := fs.String("run", "", "run only the scenarios whose name matches this regular expression")
	asJSON := fs.Bool("json", false, "print the results, with each run's actual output, steps and keys, as one JSON document")
	parallel := fs.Int("parallel", min(4, runtime.NumCPU()), "how many scenarios run at once, each on a restate-server of its own")
	replay := fs.Bool("always-replay", false, "make Restate suspend every run whenever it waits, so every step after the first is reached by replaying the journal")
	verbose := fs.Bool("verbose", false, "print the endpoint's log to stderr")
	schema := fs.Bool("schema", false, "print the JSON Schema of scenario files and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *schema {
		_, err := c.m.Stdout.Write(scenario.Schema())
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one scenario file")
	}
	if *parallel < 1 {
		return usagef("--parallel must be at least 1")
	}
	pick, err := regexp.Compile(*run)
	if err != nil {
		return usagef("--run: %v", err)
	}

	var scenarios []*scenario.Scenario
	invalid := 0
	for _, file := range fs.Args() {
		f, err := scenario.LoadFile(file)
		if err != nil {
			invalid++
			printScenarioError(c.m.Stderr, err)
			continue
		}
		for _, s := range f.Scenarios {
			if pick.MatchString(s.Name) {
				scenarios = append(scenarios, s)
			}
		}
	}
	if len(scenarios) > 0 {
		// Say once, before any scenario runs, that there is no server.
		if _, err := restateserver.Binary(); err != nil {
			return err
		}
	}
	opts := scenario.Options{}
	if *replay {
		opts.Restate = append(opts.Restate, restateserver.WithEnv("RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT=0s"))
	}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(c.m.Stderr, nil))
	}
	results := runScenarios(ctx, scenarios, opts, *parallel, func(r *scenario.Result) {
		if !*asJSON {
			_ = scenario.WriteResult(c.m.Stdout, r)
		}
	})
	if *asJSON {
		if err := scenario.WriteJSON(c.m.Stdout, results); err != nil {
			return err
		}
	} else if len(results) > 0 {
		fmt.Fprintln(c.m.Stdout, scenario.Summary(results))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if !r.OK() {
			failed++
		}
	}
	switch {
	case invalid > 0:
		return fmt.Errorf("%d of %d scenario files are invalid", invalid, fs.NArg())
	case failed > 0:
		return fmt.Errorf("%d of %d scenarios failed", failed, len(results))
	case len(results) == 0 && *run != "":
		return fmt.Errorf("no scenario matches --run %q", *run)
	}
	return nil
}

// runScenarios runs up to parallel scenarios at once and hands each result
// to done in the order of scenarios, as soon as it and those before it
// are done, so that output streams in a stable order.
func runScenarios(ctx context.Context, scenarios []*scenario.Scenario, opts scenario.Options, parallel int, done func(*scenario.Result)) []*scenario.Result {
	results := make([]*scenario.Result, len(scenarios))
	finished := make([]chan struct{}, len(scenarios))
	for i := range finished {
		finished[i] = make(chan struct{})
	}
	slots := make(chan struct{}, parallel)
	// Scenarios start in order, so that the first results come first.
	go func() {
		for i, s := range scenarios {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i] = &scenario.Result{File: s.File.Path, Scenario: s.Name, RunID: s.RunID,
					Problems: []scenario.Problem{{Field: "run", Message: "interrupted"}}}
				close(finished[i])
				continue
			}
			go func() {
				defer close(finished[i])
				defer func() { <-slots }()
				results[i] = s.Run(ctx, opts)
			}()
		}
	}()
	for i := range scenarios {
		<-finished[i]
		done(results[i])
	}
	return results
}

// printScenarioError prints every problem of a scenario file, or of the
// definition it names, each with its location and the offending line.
func printScenarioError(w io.Writer, err error) {
	var list scenario.ErrorList
	var defErrs dsl.ErrorList
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			fmt.Fprintln(w, e.Error())
			if snippet := e.Snippet(); snippet != "" {
				fmt.Fprintln(w, snippet)
			}
		}
	case errors.As(err, &defErrs):
		printLoadError(w, err)
	default:
		fmt.Fprintln(w, err)
	}
}
