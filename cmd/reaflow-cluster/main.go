// Command reaflow-cluster runs reaflow on a three-node Restate cluster on
// this machine, kills a node while a few hundred workflows run, restarts
// it, checks that nothing was lost or done twice, and prints a report.
// `make cluster-test` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/reaflow/reaflow/internal/testkit/clusterrun"
)

func main() {
	cfg := clusterrun.Defaults()
	flag.StringVar(&cfg.Reaflow, "reaflow", "bin/reaflow", "the reaflow binary that runs the endpoints (make build)")
	flag.StringVar(&cfg.Workflows, "workflows", "workflows", "the directory of the example workflows and their inputs")
	flag.IntVar(&cfg.Runs, "runs", cfg.Runs, "runs submitted while a node is killed")
	flag.IntVar(&cfg.BaselineRuns, "baseline-runs", cfg.BaselineRuns, "runs submitted to a single node and to the cluster without a failure, for the throughput comparison; 0 skips both")
	flag.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "runs in flight at once")
	flag.Float64Var(&cfg.KillAfter, "kill-after", cfg.KillAfter, "share of the runs completed when the node is killed")
	flag.DurationVar(&cfg.Down, "down", cfg.Down, "how long the killed node stays down")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: reaflow-cluster [flags]\n\nRuns reaflow on a 3-node Restate cluster, kills a node under load and reports.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.Progress = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, err := clusterrun.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reaflow-cluster: %v\n", err)
		os.Exit(1)
	}
	report.Print(os.Stdout)
	if !report.OK() {
		os.Exit(1)
	}
}
