package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/failover"
	"github.com/reaflow/reaflow/internal/testkit/devstack"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
)

type devCommand struct{ m *Main }

func (*devCommand) Name() string { return "dev" }
func (*devCommand) Summary() string {
	return "run a local Restate server, the reaflow endpoint and the sandbox providers"
}

func (c *devCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("dev", "dev [--base-dir DIR] [--admin URL[,URL...] --ingress URL[,URL...]]", `
reaflow dev
# in another terminal:
reaflow submit workflows/order-fulfillment.json --input @workflows/inputs/order-fulfillment.json --wait

# with a Restate cluster that runs already (no server of its own):
reaflow dev --admin http://10.0.0.1:9070,http://10.0.0.2:9070 --ingress http://10.0.0.1:8080,http://10.0.0.2:8080`)
	baseDir := fs.String("base-dir", "", "keep Restate's data in DIR across restarts (default: a temporary dir, removed on exit)")
	ingressPort := fs.Int("ingress-port", 8080, "Restate ingress port")
	adminPort := fs.Int("admin-port", 9070, "Restate admin port")
	nodePort := fs.Int("node-port", 5122, "Restate node port")
	endpointAddr := fs.String("endpoint", "127.0.0.1:9080", "address of the reaflow endpoint")
	sandboxAddr := fs.String("sandbox", "127.0.0.1:4010", "address of the sandbox providers")
	adminURLs := fs.String("admin", "", "use the Restate (or cluster) whose admin API is at this URL, or at these comma-separated URLs tried in order, instead of starting one; the endpoint is registered there")
	ingressURLs := fs.String("ingress", "", "with --admin, that Restate's ingress URL(s), shown for the other commands' --ingress")
	consoleAddr := fs.String("console", "127.0.0.1:7070", "address of the web console (loopback only; empty for none)")
	logs := c.m.addLogFlags(fs, slog.LevelWarn)
	if err := parse(fs, args); err != nil {
		return err
	}
	logger, err := logs.logger(c.m)
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	restateOpts := []restateserver.Option{restateserver.WithPorts(*ingressPort, *adminPort, *nodePort)}
	if *baseDir != "" {
		restateOpts = append(restateOpts, restateserver.WithBaseDir(*baseDir))
	}
	opts := []devstack.Option{devstack.WithRestateOptions(restateOpts...)}
	if *adminURLs != "" {
		opts = []devstack.Option{devstack.WithRestateAdmin(failover.Split(*adminURLs)...)}
	} else if *ingressURLs != "" {
		return usagef("--ingress names the ingress of a Restate given with --admin; without --admin, dev starts its own")
	}
	stack, err := devstack.Start(ctx, append(opts,
		devstack.WithEndpointAddr(*endpointAddr),
		devstack.WithSandboxAddr(*sandboxAddr),
		devstack.WithLogger(logger))...)
	if err != nil {
		return err
	}
	consoleURL := "(none)"
	ingress, admin := *ingressURLs, *adminURLs
	if stack.Restate != nil {
		ingress, admin = stack.Restate.IngressURL, stack.Restate.AdminURL
	}
	switch {
	case *consoleAddr == "":
	case ingress == "":
		consoleURL = "(not started: give --ingress with --admin)"
	default:
		url, stopConsole, err := c.startConsole(ctx, *consoleAddr, ingress, admin, logger)
		if err != nil {
			_ = stack.Stop()
			return err
		}
		defer stopConsole()
		consoleURL = url
	}
	if stack.Restate == nil {
		if *ingressURLs == "" {
			*ingressURLs = "(not given; pass --ingress to show it here)"
		}
		fmt.Fprintf(c.m.Stdout, `reaflow dev is up (Ctrl-C stops the endpoint and the sandbox; Restate runs on):
  restate ingress   %s
  restate admin     %s  (the endpoint is registered there)
  reaflow endpoint  %s
  sandbox           %s  (ledger: %s/sandbox/ledger)
  console           %s
`, *ingressURLs, *adminURLs, stack.EndpointURL, stack.SandboxURL, stack.SandboxURL, consoleURL)
	} else {
		fmt.Fprintf(c.m.Stdout, `reaflow dev is up (Ctrl-C stops everything):
  restate ingress   %s
  restate admin     %s
  reaflow endpoint  %s
  sandbox           %s  (ledger: %s/sandbox/ledger)
  restate data/log  %s
  console           %s
`, stack.Restate.IngressURL, stack.Restate.AdminURL, stack.EndpointURL, stack.SandboxURL, stack.SandboxURL, stack.Restate.BaseDir, consoleURL)
	}
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

// startConsole serves the web console on addr (loopback only: dev has no
// token to give it) for the stack's Restate, until stop is called.
func (c *devCommand) startConsole(ctx context.Context, addr, ingress, admin string, logger *slog.Logger) (url string, stop func(), err error) {
	cl, err := client.New(ingress, admin)
	if err != nil {
		return "", nil, err
	}
	l, err := listenConsole(addr, "")
	if err != nil {
		return "", nil, fmt.Errorf("console: %w", err)
	}
	url, serve, err := startConsole(l, cl, "", logger)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := serve(ctx); err != nil {
			logger.Error("console stopped", "err", err)
		}
	}()
	return url, func() { cancel(); <-done }, nil
}
