package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reaflow/reaflow/activities/builtin"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/scenario"
)

type validateCommand struct{ m *Main }

func (*validateCommand) Name() string    { return "validate" }
func (*validateCommand) Summary() string { return "check workflow definitions without running them" }

func (c *validateCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("validate", "validate [--activities NAME,...] [--json] FILE...", `
reaflow validate workflows/*.json
reaflow validate --activities fraudCheck,score my-flow.json
reaflow validate --json my-flow.json`)
	known := c.m.addActivityFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON result per file: what it defines, or its problems with their places")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one definition file")
	}
	invalid := 0
	var results []validation
	for _, file := range fs.Args() {
		res := validation{File: file}
		if strings.HasSuffix(file, scenarioSuffix) {
			// A scenario file next to its definition (reaflow test).
			f, err := scenario.LoadFile(file)
			if err != nil {
				invalid++
				res.Errors = locate(err)
				if !*asJSON {
					printScenarioError(c.m.Stderr, err)
				}
			} else {
				res.OK, res.Scenarios, res.Definition = true, len(f.Scenarios), f.DefinitionPath
				if !*asJSON {
					fmt.Fprintf(c.m.Stdout, "%s: ok (%d scenarios of %s)\n", file, len(f.Scenarios), f.DefinitionPath)
				}
			}
			results = append(results, res)
			continue
		}
		prog, err := loadFile(file, append(known.options(), childFiles(file))...)
		if err != nil {
			invalid++
			res.Errors = locate(err)
			if !*asJSON {
				printLoadError(c.m.Stderr, err)
			}
			results = append(results, res)
			continue
		}
		res.OK, res.Name, res.Version, res.Hash, res.Steps = true, prog.Name, prog.Version, prog.Hash, len(prog.Steps)
		res.Warnings = locate(prog.Warnings)
		if !*asJSON {
			fmt.Fprintf(c.m.Stdout, "%s: ok (%s %s, %d steps, %s)\n", file, prog.Name, prog.Version, len(prog.Steps), prog.Hash[:len("sha256:")+12])
			printWarnings(c.m.Stderr, prog)
		}
		results = append(results, res)
	}
	if *asJSON {
		encoded, err := json.Marshal(results)
		if err != nil {
			return err
		}
		if err := printJSON(c.m.Stdout, encoded); err != nil {
			return err
		}
	}
	if invalid > 0 {
		return fmt.Errorf("%d of %d definitions are invalid", invalid, fs.NArg())
	}
	return nil
}

// validation is validate's JSON result for one file.
type validation struct {
	File string `json:"file"`
	OK   bool   `json:"ok"`
	// A definition's name, version, hash and top-level step count.
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Hash    string `json:"hash,omitempty"`
	Steps   int    `json:"steps,omitempty"`
	// A scenario file's scenario count and the definition it tests.
	Scenarios  int       `json:"scenarios,omitempty"`
	Definition string    `json:"definition,omitempty"`
	Errors     []located `json:"errors,omitempty"`
	Warnings   []located `json:"warnings,omitempty"`
}

// located is one problem with its place.
type located struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Pointer string `json:"pointer,omitempty"`
	Message string `json:"message"`
}

// locate lists the problems of a definition or scenario file, each with
// its place when the error knows it.
func locate(err error) []located {
	var out []located
	var defErrs dsl.ErrorList
	var scenErrs scenario.ErrorList
	switch {
	case err == nil:
	case errors.As(err, &defErrs):
		for _, e := range defErrs {
			out = append(out, located{File: e.File, Line: e.Line, Column: e.Column, Pointer: e.Pointer, Message: e.Message})
		}
	case errors.As(err, &scenErrs):
		for _, e := range scenErrs {
			out = append(out, located{File: e.File, Line: e.Line, Column: e.Column, Pointer: e.Pointer, Message: e.Message})
		}
	default:
		out = append(out, located{Message: err.Error()})
	}
	return out
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
	builtin.Register(reg)
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
