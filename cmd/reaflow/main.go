// Command reaflow checks, serves, submits and watches reaflow workflows.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/reaflow/reaflow/internal/suggest"
)

// Exit codes: what scripts can rely on.
const (
	exitOK      = 0
	exitFailed  = 1 // invalid definition or input, failed workflow, unreachable server
	exitUsage   = 2 // unknown command or flag, missing argument
	usageHeader = `reaflow runs JSON workflow definitions durably on Restate.

Usage:
  reaflow <command> [flags] [arguments]

Commands:
`
)

// command is one subcommand. Run receives the arguments after the command
// name and writes to the streams of the Main it belongs to.
type command interface {
	Name() string
	Summary() string
	Run(ctx context.Context, args []string) error
}

// usageError makes Main print the command's usage and exit with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// Main is the CLI with its streams, so tests can run it in process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads configuration defaults such as REAFLOW_INGRESS_URL.
	Getenv func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

func (m *Main) commands() []command {
	return []command{
		&validateCommand{m: m},
		&submitCommand{m: m},
		&deployCommand{m: m},
		&definitionsCommand{m: m},
		&statusCommand{m: m},
		&runsCommand{m: m},
		&graphCommand{m: m},
		&outputCommand{m: m},
		&signalCommand{m: m},
		&resolveCommand{m: m},
		&rejectCommand{m: m},
		&cancelCommand{m: m},
		&redriveCommand{m: m},
		&consoleCommand{m: m},
		&scheduleCommand{m: m},
		&serveCommand{m: m},
		&sandboxCommand{m: m},
		&devCommand{m: m},
		&demoCommand{m: m},
		&testCommand{m: m},
		&schemaCommand{m: m},
		&versionCommand{m: m},
	}
}

// Run runs the command line args and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		m.usage(m.Stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			// "reaflow help submit" is "reaflow submit --help".
			return m.Run(ctx, []string{args[1], "--help"})
		}
		m.usage(m.Stdout)
		return exitOK
	}
	var cmd command
	for _, c := range m.commands() {
		if c.Name() == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		names := make([]string, 0, len(m.commands()))
		for _, c := range m.commands() {
			names = append(names, c.Name())
		}
		hint := ""
		if best, ok := suggest.Closest(args[0], names); ok {
			hint = fmt.Sprintf("; did you mean %q?", best)
		}
		fmt.Fprintf(m.Stderr, "reaflow: unknown command %q%s\n", args[0], hint)
		m.usage(m.Stderr)
		return exitUsage
	}
	err := cmd.Run(ctx, args[1:])
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(m.Stderr, "reaflow %s: %s\nRun 'reaflow %s --help' for usage.\n", cmd.Name(), usage.msg, cmd.Name())
		return exitUsage
	default:
		fmt.Fprintf(m.Stderr, "reaflow %s: %s\n", cmd.Name(), err)
		return exitFailed
	}
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, usageHeader)
	cmds := m.commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.Name(), c.Summary())
	}
	fmt.Fprint(w, "\nRun 'reaflow <command> --help' for a command's flags and an example.\n")
}

// newFlagSet returns a flag set whose usage text starts with the command's
// synopsis and ends with an example; parse errors become usage errors.
func (m *Main) newFlagSet(name, synopsis, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage:\n  reaflow %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(m.Stderr, "\nExample:\n  %s\n", strings.ReplaceAll(strings.TrimSpace(example), "\n", "\n  "))
	}
	return fs
}

// parse parses args, turning flag errors into usage errors (the flag
// package has already printed the problem and the usage). Flags may come
// before or after the positional arguments, as in "submit FILE --wait".
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			if best, ok := suggest.Closest(strings.TrimLeft(name, "-"), names); ok {
				msg += fmt.Sprintf("; did you mean --%s?", best)
			}
		}
		return &usageError{msg: msg}
	}
	return nil
}

// env returns the environment variable or def when it is empty.
func (m *Main) env(name, def string) string {
	if v := m.Getenv(name); v != "" {
		return v
	}
	return def
}

// flagsFirst moves the flags in args (with their values) before the
// positional arguments, because the flag package stops at the first
// positional one. "--" ends the flags as usual.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			positional = append(positional, arg)
			continue
		}
		flags = append(flags, arg)
		name := strings.TrimLeft(arg, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if len(positional) == 0 {
		return flags
	}
	return append(append(flags, "--"), positional...)
}
