package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/dsl"
)

type redriveCommand struct{ m *Main }

func (*redriveCommand) Name() string { return "redrive" }
func (*redriveCommand) Summary() string {
	return "finish a failed run from where it failed, reusing what it completed"
}

func (c *redriveCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("redrive", "redrive RUN_ID [--wait] [--id NEW_ID] [--from STEP] [--definition FILE|NAME@VERSION]\n  reaflow redrive --status failed [--workflow NAME] [--since 2h] [--limit N] [--dry-run]", `
reaflow redrive order-fulfillment-k3x9qa --wait
reaflow redrive order-fulfillment-k3x9qa --from lines/ship
reaflow redrive order-fulfillment-k3x9qa --definition fixed.json
reaflow redrive --status failed --workflow order-fulfillment --since 2h --dry-run`)
	target := c.m.addRestateFlags(fs)
	// A redrive's reused outputs stand in for steps: an endpoint under the
	// run policy takes them only with its deploy token.
	c.m.addDeployTokenFlag(fs, target)
	known := c.m.addActivityFlag(fs)
	wait := fs.Bool("wait", false, "show each step as it completes and print the output at the end")
	id := fs.String("id", "", "the new run's id; ROOT-redrive-N by default (ROOT is the lineage's first run)")
	from := fs.String("from", "", "run this step (an id or a path such as lines/ship) and everything after it again, even where it completed, with new keys")
	definitionArg := fs.String("definition", "", "continue with this definition (a file or NAME@VERSION) instead of the pinned one; completed steps are reused where it still has them")
	status := fs.String("status", "", "redrive every run in this state (only failed), newest first")
	workflow := fs.String("workflow", "", "with --status: only runs of the definition with this name")
	since := fs.Duration("since", 0, "with --status: only runs created this long ago or later (2h, 30m)")
	limit := fs.Int("limit", 20, "with --status: at most this many runs")
	dryRun := fs.Bool("dry-run", false, "say what would be redriven and reused, and start nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	opts := client.RedriveOptions{ID: *id, From: *from}
	if *definitionArg != "" {
		def, err := c.loadDefinition(ctx, target, known, *definitionArg)
		if err != nil {
			return err
		}
		opts.Definition = def
	}
	if *status != "" {
		if *status != "failed" {
			return usagef("--status must be failed: only failed runs can be redriven")
		}
		if fs.NArg() != 0 || *id != "" || *wait {
			return usagef("--status redrives many runs: name no run, and give no --id or --wait")
		}
		return c.bulk(ctx, target, opts, client.FailedRunFilter{Workflow: *workflow, Since: *since, Limit: *limit}, *dryRun)
	}
	if fs.NArg() != 1 {
		return usagef("name exactly one failed run, or select runs with --status failed")
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	plan, err := cl.PlanRedrive(ctx, fs.Arg(0), opts)
	if err != nil {
		return err
	}
	c.printPlan(plan)
	if *dryRun {
		return nil
	}
	if err := cl.StartRedrive(ctx, plan); err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "submitted %s as the redrive of %s\n", plan.ID, plan.Of)
	if !*wait {
		return nil
	}
	return c.m.follow(ctx, target, plan.ID)
}

// loadDefinition reads and checks a fixed definition, from a file or the
// deployed versions.
func (c *redriveCommand) loadDefinition(ctx context.Context, target *restateFlags, known *activityFlag, arg string) (*client.RedriveDefinition, error) {
	file := arg
	var text []byte
	if isDeployedRef(arg) {
		deployed, err := fetchDeployed(ctx, target, arg)
		if err != nil {
			return nil, err
		}
		text, file = []byte(deployed.Definition), deployed.File
	} else {
		var err error
		if text, err = os.ReadFile(arg); err != nil {
			return nil, err
		}
	}
	prog, err := dsl.Load(file, text, append(known.options(), childFiles(file))...)
	if err != nil {
		printLoadError(c.m.Stderr, err)
		return nil, fmt.Errorf("%s is invalid; nothing was redriven", arg)
	}
	printWarnings(c.m.Stderr, prog)
	if prog.Inlined {
		text = prog.Canonical
	}
	return &client.RedriveDefinition{Text: string(text), File: filepath.Base(file), Program: prog}, nil
}

// printPlan says which steps the redrive reuses and which it runs.
func (c *redriveCommand) printPlan(plan *client.RedrivePlan) {
	fmt.Fprintf(c.m.Stdout, "redrive of %s as %s (%s %s)\n", plan.Of, plan.ID, plan.Program.Name, plan.Program.Version)
	for _, s := range plan.Steps {
		verb, detail := "run", ""
		switch {
		case s.InLoop && s.Reused > 0:
			verb, detail = "reuse", fmt.Sprintf("  %d items reused, the others run", s.Reused)
		case s.Reused > 0:
			verb = "reuse"
		}
		if s.NewKeys > 0 {
			detail += fmt.Sprintf("  new keys for %d", s.NewKeys)
		}
		fmt.Fprintf(c.m.Stdout, "  %-6s %s%s\n", verb, s.Path, detail)
	}
}

// bulk redrives the failed runs the filter selects, one line per run.
func (c *redriveCommand) bulk(ctx context.Context, target *restateFlags, opts client.RedriveOptions, f client.FailedRunFilter, dryRun bool) error {
	cl, err := target.client()
	if err != nil {
		return err
	}
	found, err := cl.FailedRuns(ctx, f)
	if err != nil {
		return fmt.Errorf("list failed runs: %w", err)
	}
	if len(found) == 0 {
		fmt.Fprintln(c.m.Stdout, "no failed runs to redrive")
		return nil
	}
	verb := "redriving"
	if dryRun {
		verb = "would redrive"
	}
	var failures int
	for _, cand := range found {
		plan, err := cl.PlanRedrive(ctx, cand.ID, opts)
		if err != nil {
			failures++
			fmt.Fprintf(c.m.Stdout, "%s: skipped: %v\n", cand.ID, err)
			continue
		}
		reused := 0
		for _, s := range plan.Steps {
			reused += s.Reused
		}
		line := fmt.Sprintf("%s: %s as %s, reusing %d completed steps", cand.ID, verb, plan.ID, reused)
		if !dryRun {
			if err := cl.StartRedrive(ctx, plan); err != nil {
				failures++
				line = fmt.Sprintf("%s: failed to start: %v", cand.ID, err)
			}
		}
		fmt.Fprintln(c.m.Stdout, line)
	}
	if failures > 0 {
		return fmt.Errorf("%d of %d runs were not redriven", failures, len(found))
	}
	return nil
}
