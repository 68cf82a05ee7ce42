package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/reaflow/reaflow/dsl"
)

type schemaCommand struct{ m *Main }

func (*schemaCommand) Name() string    { return "schema" }
func (*schemaCommand) Summary() string { return "print the JSON Schema of workflow definitions" }

func (c *schemaCommand) Run(_ context.Context, args []string) error {
	fs := c.m.newFlagSet("schema", "schema", `
reaflow schema > workflow.schema.json   # then "$schema": "./workflow.schema.json" in your definitions`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("schema takes no arguments")
	}
	_, err := c.m.Stdout.Write(dsl.Schema())
	return err
}

type versionCommand struct{ m *Main }

func (*versionCommand) Name() string    { return "version" }
func (*versionCommand) Summary() string { return "print reaflow's version and what it was built from" }

func (c *versionCommand) Run(_ context.Context, args []string) error {
	fs := c.m.newFlagSet("version", "version", `
reaflow version`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintln(c.m.Stdout, buildVersion())
	return nil
}

// buildVersion describes the binary from its build info: the module
// version (a tag, or "(devel)" for a local build), the commit and whether
// the tree had uncommitted changes, and the Go version.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "reaflow (no build information)"
	}
	version := "reaflow " + info.Main.Version
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+changes"
			}
		}
	}
	if revision != "" {
		version += " " + revision[:min(12, len(revision))] + modified
	}
	return version + " " + info.GoVersion
}
