package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/reaflow/reaflow/internal/devstack"
	"github.com/reaflow/reaflow/internal/restateserver"
)

type devCommand struct{ m *Main }

func (*devCommand) Name() string { return "dev" }
func (*devCommand) Summary() string {
	return "run a local Restate server, the reaflow endpoint and the sandbox providers"
}

func (c *devCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("dev", "dev [--base-dir DIR]", `
reaflow dev
# in another terminal:
reaflow submit workflows/order-fulfillment.json --input @workflows/inputs/order-fulfillment.json --wait`)
	baseDir := fs.String("base-dir", "", "keep Restate's data in DIR across restarts (default: a temporary dir, removed on exit)")
	ingressPort := fs.Int("ingress-port", 8080, "Restate ingress port")
	adminPort := fs.Int("admin-port", 9070, "Restate admin port")
	nodePort := fs.Int("node-port", 5122, "Restate node port")
	endpointAddr := fs.String("endpoint", "127.0.0.1:9080", "address of the reaflow endpoint")
	sandboxAddr := fs.String("sandbox", "127.0.0.1:4010", "address of the sandbox providers")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	restateOpts := []restateserver.Option{restateserver.WithPorts(*ingressPort, *adminPort, *nodePort)}
	if *baseDir != "" {
		restateOpts = append(restateOpts, restateserver.WithBaseDir(*baseDir))
	}
	stack, err := devstack.Start(ctx,
		devstack.WithRestateOptions(restateOpts...),
		devstack.WithEndpointAddr(*endpointAddr),
		devstack.WithSandboxAddr(*sandboxAddr),
		devstack.WithLogger(slog.New(slog.NewTextHandler(c.m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, `reaflow dev is up (Ctrl-C stops everything):
  restate ingress   %s
  restate admin     %s
  reaflow endpoint  %s
  sandbox           %s  (ledger: %s/sandbox/ledger)
  restate data/log  %s
`, stack.Restate.IngressURL, stack.Restate.AdminURL, stack.EndpointURL, stack.SandboxURL, stack.SandboxURL, stack.Restate.BaseDir)
	<-ctx.Done()
	fmt.Fprintln(c.m.Stdout, "stopping")
	stopped := make(chan error, 1)
	go func() { stopped <- stack.Stop() }()
	select {
	case err := <-stopped:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("stopping took more than 30s")
	}
}
