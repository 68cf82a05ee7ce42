package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/interpreter"
)

type deployCommand struct{ m *Main }

func (*deployCommand) Name() string { return "deploy" }
func (*deployCommand) Summary() string {
	return "store definitions in Restate, versioned, to submit them by name"
}

func (c *deployCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("deploy", "deploy FILE...", `
reaflow deploy workflows/*.json
reaflow submit order-fulfillment@1.0.0 --input @workflows/inputs/order-fulfillment.json`)
	target := c.m.addRestateFlags(fs)
	known := c.m.addActivityFlag(fs)
	c.m.addDeployTokenFlag(fs, target)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name at least one definition file")
	}
	// Every file is checked before any is deployed: nothing half-applied.
	type checked struct{ file, text string }
	var all []checked
	for _, file := range fs.Args() {
		prog, err := loadFile(file, append(known.options(), childFiles(file))...)
		if err != nil {
			printLoadError(c.m.Stderr, err)
			return fmt.Errorf("%s is invalid; nothing was deployed", file)
		}
		printWarnings(c.m.Stderr, prog)
		text, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if prog.Inlined {
			text = prog.Canonical
		}
		all = append(all, checked{file: file, text: string(text)})
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	for _, d := range all {
		res, err := cl.Deploy(ctx, []byte(d.text), filepath.Base(d.file))
		if err != nil {
			return fmt.Errorf("%s: %w", d.file, err)
		}
		what := "deployed"
		if res.Unchanged {
			what = "unchanged"
		}
		fmt.Fprintf(c.m.Stdout, "%s: %s %s@%s (%s)\n", d.file, what, res.Name, res.Version, res.Hash[:len("sha256:")+12])
	}
	return nil
}

// readTokenFile reads a token from a file, without the line end an editor
// leaves; flag names the setting in errors.
func readTokenFile(flag, file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("%s: %s is empty; write the token into it", flag, file)
	}
	return token, nil
}

type definitionsCommand struct{ m *Main }

func (*definitionsCommand) Name() string    { return "definitions" }
func (*definitionsCommand) Summary() string { return "list deployed definitions and their versions" }

func (c *definitionsCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("definitions", "definitions [--json] [NAME...]", `
reaflow definitions
reaflow definitions --json order-fulfillment`)
	target := c.m.addRestateFlags(fs)
	asJSON := fs.Bool("json", false, "print the versions as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	names := fs.Args()
	if len(names) == 0 {
		if names, err = cl.Definitions(ctx); err != nil {
			return fmt.Errorf("list definitions: %w (is Restate's admin API at %s? start one with 'reaflow dev')", err, target.admin)
		}
	}
	all := []interpreter.DefinitionVersion{}
	for _, name := range names {
		versions, err := cl.Versions(ctx, name)
		if err != nil {
			return err
		}
		if len(versions) == 0 && len(fs.Args()) > 0 {
			return fmt.Errorf("no definition named %q is deployed (reaflow deploy FILE deploys one)", name)
		}
		all = append(all, versions...)
	}
	if *asJSON {
		encoded, err := json.Marshal(all)
		if err != nil {
			return err
		}
		return printJSON(c.m.Stdout, encoded)
	}
	if len(all) == 0 {
		fmt.Fprintln(c.m.Stdout, "no definitions deployed (reaflow deploy FILE deploys one)")
		return nil
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tVERSION\tHASH\tDEPLOYED\tFILE")
	for _, v := range all {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.Name, v.Version, v.Hash[:len("sha256:")+12], v.DeployedAt.Format(time.RFC3339), v.File)
	}
	return w.Flush()
}

// isDeployedRef tells a deployed definition's name (NAME[@VERSION]) from
// a file: a name has no path separator and no .json ending, and no such
// file exists.
func isDeployedRef(arg string) bool {
	if strings.HasSuffix(arg, ".json") || !client.IsDeployedRef(arg) {
		return false
	}
	_, err := os.Stat(arg)
	return errors.Is(err, os.ErrNotExist)
}

// fetchDeployed returns the text of a deployed definition, NAME for the
// latest version or NAME@VERSION (a version label or a content hash).
func fetchDeployed(ctx context.Context, target *restateFlags, ref string) (*interpreter.DeployRequest, error) {
	cl, err := target.client()
	if err != nil {
		return nil, err
	}
	return cl.Definition(ctx, ref)
}
