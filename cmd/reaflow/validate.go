package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/scenario"
)

type validateCommand struct{ m *Main }

func (*validateCommand) Name() string    { return "validate" }
func (*validateCommand) Summary() string { return "check workflow definitions without running them" }

func (c *validateCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("validate", "validate [--activities NAME,...] FILE...", `
reaflow validate workflows/*.json
reaflow validate --activities fraudCheck,score my-flow.json`)
	known := c.m.addActivityFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one definition file")
	}
	invalid := 0
	for _, file := range fs.Args() {
		if strings.HasSuffix(file, scenarioSuffix) {
			// A scenario file next to its definition (reaflow test).
			f, err := scenario.LoadFile(file)
			if err != nil {
				invalid++
				printScenarioError(c.m.Stderr, err)
				continue
			}
			fmt.Fprintf(c.m.Stdout, "%s: ok (%d scenarios of %s)\n", file, len(f.Scenarios), f.DefinitionPath)
			continue
		}
		prog, err := loadFile(file, append(known.options(), childFiles(file))...)
		if err != nil {
			invalid++
			printLoadError(c.m.Stderr, err)
			continue
		}
		fmt.Fprintf(c.m.Stdout, "%s: ok (%s %s, %d steps, %s)\n", file, prog.Name, prog.Version, len(prog.Steps), prog.Hash[:len("sha256:")+12])
		printWarnings(c.m.Stderr, prog)
	}
	if invalid > 0 {
		return fmt.Errorf("%d of %d definitions are invalid", invalid, fs.NArg())
	}
	return nil
}

// scenarioSuffix ends the names of scenario files, which validate checks as
// such (so that `reaflow validate workflows/*.json` checks both kinds).
const scenarioSuffix = ".test.json"

// activityFlag is the set of activity names a definition may use: the
// built-ins plus those named with --activities (custom activities live in
// the user's own endpoint, which the CLI cannot see).
type activityFlag struct{ extra string }

func (m *Main) addActivityFlag(fs *flag.FlagSet) *activityFlag {
	f := &activityFlag{}
	fs.StringVar(&f.extra, "activities", m.Getenv("REAFLOW_ACTIVITIES"), "comma-separated custom activity names your endpoint registers, besides the built-ins (env REAFLOW_ACTIVITIES)")
	return f
}

func (f *activityFlag) options() []dsl.Option {
	reg := activities.NewRegistry()
	activities.RegisterBuiltins(reg)
	names := reg.Names()
	for _, name := range strings.Split(f.extra, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	// Custom activities may fail with any code: the registry does not
	// know them, and Errors reports them undeclared.
	return []dsl.Option{dsl.WithActivityNames(names...), dsl.WithActivityErrors(reg.Errors)}
}

// printWarnings prints a definition's warnings, each with its location and
// the offending line.
func printWarnings(w io.Writer, prog *dsl.Program) {
	for _, e := range prog.Warnings {
		fmt.Fprintln(w, "warning: "+e.Error())
		if snippet := e.Snippet(); snippet != "" {
			fmt.Fprintln(w, snippet)
		}
	}
}

// childFiles lets the definition in file name child definitions by files
// relative to its own directory.
func childFiles(file string) dsl.Option {
	dir := filepath.Dir(file)
	return dsl.WithFiles(func(name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		return os.ReadFile(name)
	})
}

// loadFile reads and compiles a definition file.
func loadFile(file string, opts ...dsl.Option) (*dsl.Program, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return dsl.Load(file, data, opts...)
}

// printLoadError prints every problem of a definition, each with its
// location and the offending line.
func printLoadError(w io.Writer, err error) {
	var list dsl.ErrorList
	if !errors.As(err, &list) {
		fmt.Fprintln(w, err)
		return
	}
	for _, e := range list {
		fmt.Fprintln(w, e.Error())
		if snippet := e.Snippet(); snippet != "" {
			fmt.Fprintln(w, snippet)
		}
	}
}
