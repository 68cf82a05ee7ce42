// Package devstack runs a whole local reaflow on loopback: a restate-server,
// the sandbox providers, and a reaflow endpoint with the built-in
// activities pointed at the sandbox (payments, shipping, email and travel,
// as builtin.WithProviderURL sets them, whatever the REAFLOW_*_URL
// variables say), registered with the server. The demo, `reaflow dev` and
// the CLI's and interpreter's tests use it. WithRestateAdmin uses a
// Restate that runs already, such as a cluster, instead of starting one.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/reaflow/reaflow/activities/builtin"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/endpoint"
	"github.com/reaflow/reaflow/internal/failover"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
)

// Stack is a running local reaflow.
type Stack struct {
	// Restate is the server the stack started; nil with WithRestateAdmin.
	Restate     *restateserver.Server
	Sandbox     *sandbox.Sandbox
	SandboxURL  string
	EndpointURL string

	cancel context.CancelFunc
	served chan error
}

type config struct {
	restate      []restateserver.Option
	sandboxAddr  string
	endpointAddr string
	logger       *slog.Logger
	interpreter  []interpreter.Option
	activities   []func(*activities.Registry)
	restateAdmin []string
}

// Option configures Start.
type Option func(*config)

// WithRestateOptions passes options to restateserver.Start.
func WithRestateOptions(opts ...restateserver.Option) Option {
	return func(c *config) { c.restate = append(c.restate, opts...) }
}

// WithRestateAdmin registers the endpoint with the Restate whose admin API
// answers at these URLs (the nodes of a cluster, tried in order, or one
// load balancer) instead of starting a server. Registration is cluster
// wide: once through any node is enough. The registration does not force
// a replacement, so an endpoint with different services at the same
// address is refused rather than breaking the runs that use it.
func WithRestateAdmin(urls ...string) Option {
	return func(c *config) { c.restateAdmin = append(c.restateAdmin, urls...) }
}

// WithSandboxAddr serves the sandbox on addr instead of a free port.
func WithSandboxAddr(addr string) Option { return func(c *config) { c.sandboxAddr = addr } }

// WithEndpointAddr serves the endpoint on addr instead of a free port.
func WithEndpointAddr(addr string) Option { return func(c *config) { c.endpointAddr = addr } }

// WithLogger sets the endpoint's logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithInterpreterOptions passes options to interpreter.New.
func WithInterpreterOptions(opts ...interpreter.Option) Option {
	return func(c *config) { c.interpreter = append(c.interpreter, opts...) }
}

// WithActivities registers more activities next to the built-ins.
func WithActivities(register func(*activities.Registry)) Option {
	return func(c *config) { c.activities = append(c.activities, register) }
}

// Start starts the stack; Stop stops it. If any part fails to start, the
// parts already running are stopped.
func Start(ctx context.Context, opts ...Option) (_ *Stack, err error) {
	cfg := config{sandboxAddr: "127.0.0.1:0", endpointAddr: "127.0.0.1:0", logger: slog.Default()}
	for _, opt := range opts {
		opt(&cfg)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Stack{cancel: cancel, Sandbox: sandbox.New()}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Stop())
		}
	}()

	if s.SandboxURL, err = s.Sandbox.Start(runCtx, cfg.sandboxAddr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.endpointAddr)
	if err != nil {
		return nil, fmt.Errorf("reaflow endpoint: %w", err)
	}
	s.EndpointURL = "http://" + ln.Addr().String()
	reg := activities.NewRegistry()
	builtin.Register(reg, builtin.WithProviderURL(s.SandboxURL))
	for _, register := range cfg.activities {
		register(reg)
	}
	s.served = make(chan error, 1)
	go func() {
		s.served <- endpoint.Serve(runCtx, ln, cfg.logger, interpreter.New(reg, cfg.interpreter...)...)
	}()

	if len(cfg.restateAdmin) > 0 {
		if err = register(ctx, cfg.restateAdmin, s.EndpointURL); err != nil {
			return nil, err
		}
		return s, nil
	}
	if s.Restate, err = restateserver.Start(ctx, cfg.restate...); err != nil {
		return nil, err
	}
	if err = s.Restate.RegisterDeployment(ctx, s.EndpointURL); err != nil {
		return nil, err
	}
	return s, nil
}

// register registers endpointURL through the first admin URL that answers.
func register(ctx context.Context, adminURLs []string, endpointURL string) error {
	client := admin.New(adminURLs[0], "")
	httpClient, err := failover.Client(adminURLs)
	if err != nil {
		return err
	}
	httpClient.Timeout = client.HTTP.Timeout
	client.HTTP = httpClient
	if err := client.RegisterDeployment(ctx, endpointURL, false); err != nil {
		return fmt.Errorf("register the endpoint %s with Restate at %v: %w", endpointURL, adminURLs, err)
	}
	return nil
}

// Stop stops the server, then the endpoint and the sandbox. The server goes
// first so that it closes its streams to the endpoint, which can then shut
// down at once.
func (s *Stack) Stop() error {
	var errs []error
	if s.Restate != nil {
		errs = append(errs, s.Restate.Stop())
		s.Restate = nil
	}
	s.cancel()
	if s.served != nil {
		errs = append(errs, <-s.served)
		s.served = nil
	}
	return errors.Join(errs...)
}
