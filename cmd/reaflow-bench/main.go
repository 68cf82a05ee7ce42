// Command reaflow-bench measures the reaflow interpreter against a
// hand-written Restate workflow doing the same steps, on one
// restate-server, and prints a table of throughput, latency, journal
// entries and the endpoint's CPU and memory (see BENCHMARKS.md).
//
// It starts the restate-server that `make restate-server` installs (or
// $REAFLOW_RESTATE_SERVER) on free ports, and runs the service endpoint
// as a child process, itself with the hidden "endpoint" command, so that
// the endpoint's CPU and memory are measured apart from the load
// generator's. It needs Linux: it reads both from /proc.
//
// Usage:
//
//	reaflow-bench [flags]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// command is one way to run the program: the benchmark, or the endpoint
// it starts as its child.
type command interface {
	Run(ctx context.Context, args []string) error
}

func run(ctx context.Context, args []string) int {
	var cmd command = &benchCommand{}
	name := "reaflow-bench"
	if len(args) > 0 && args[0] == endpointCommandName {
		cmd, name, args = &endpointCommand{}, name+" "+endpointCommandName, args[1:]
	}
	err := cmd.Run(ctx, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return exitFailed
	}
}

// errUsage reports bad flags, which the flag package has already
// explained.
var errUsage = errors.New("usage")

// parse parses args with fs, which must have no positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
