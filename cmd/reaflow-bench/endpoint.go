package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"

	"github.com/reaflow/reaflow/internal/endpoint"
	"github.com/reaflow/reaflow/internal/testkit/bench"
)

// endpointCommandName is the hidden command the benchmark starts its
// child process with.
const endpointCommandName = "endpoint"

// endpointCommand serves the baseline and the interpreter on one
// endpoint. It prints the endpoint's URL as its first line of output, so
// a parent that asked for port 0 learns the port, and serves until it is
// interrupted or terminated.
type endpointCommand struct{}

func (*endpointCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(endpointCommandName, flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to serve the endpoint on")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the endpoint to this `file` until it stops")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr())
	// Warnings only: logging every invocation would cost more than the
	// no-op steps being measured, in both variants alike.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return endpoint.Serve(ctx, ln, logger, bench.Services()...)
}
