package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/balancer"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
)

// stack is everything a soak runs against: restate-server, the sandbox
// providers (in this process, behind the recorder, so they survive every
// kill and keep the ledger), and the endpoint processes.
type stack struct {
	server    *restateserver.Server
	providers *sandbox.Sandbox
	recorder  *recorder
	// sandboxURL is the providers' base URL.
	sandboxURL string
	sandboxSrv *http.Server
	endpoints  []*endpoint
	balancer   *balancer.Balancer // nil with a single endpoint
	deployment string
}

// faultRules are the providers' injected failures. Each failing rule fires
// at most once per idempotency key, so no key fails more than twice from
// injection alone, and the steps with a bounded retry policy (4 or 5
// attempts in the examples) succeed on the third attempt at the latest:
// a soak must fail on a broken guarantee, not on a retry budget the
// faults used up. An endpoint killed during a step does not use up an
// attempt (Restate counts the Run's own failures only), so kills need no
// allowance.
func faultRules(rate float64, seed uint64) []sandbox.FaultRule {
	if rate == 0 {
		return nil
	}
	ms := func(n int) sandbox.Duration { return sandbox.Duration(time.Duration(n) * time.Millisecond) }
	rules := []sandbox.FaultRule{
		{Path: "/payments/charges", Times: 1, Probability: rate, Status: http.StatusTooManyRequests},
		// The charge is applied, then the answer is lost: the retry must be
		// answered from the key's record.
		{Path: "/payments/charges", Times: 1, Probability: rate, AfterEffect: true, Status: http.StatusServiceUnavailable},
		{Path: "/payments/refunds", Times: 1, Probability: rate, Status: http.StatusServiceUnavailable},
		{Path: "/shipping/shipments", Times: 1, Probability: rate, Status: http.StatusBadGateway},
		{Path: "/shipping/shipments", Times: 1, Probability: rate, AfterEffect: true},
		{Path: "/shipping/shipments/*/cancel", Times: 1, Probability: rate, Status: http.StatusTooManyRequests},
		{Path: "/email/messages", Times: 1, Probability: rate, Status: http.StatusInternalServerError},
		{Path: "/travel/bookings", Times: 1, Probability: rate, Status: http.StatusTooManyRequests},
		{Path: "/travel/bookings", Times: 1, Probability: rate, AfterEffect: true, Status: http.StatusBadGateway},
		{Path: "/travel/bookings/*/cancel", Times: 1, Probability: rate, AfterEffect: true},
		{Path: "/webhooks/*", Times: 1, Probability: rate, Status: http.StatusServiceUnavailable},
		// Slow answers last: a call that draws a failure above does not
		// also wait.
		{Probability: rate, Latency: ms(40)},
		{Probability: rate, Latency: ms(250)},
	}
	for i := range rules {
		rules[i].Seed = seed*1000 + uint64(i) + 1
	}
	return rules
}

// startStack starts the providers, restate-server (data in dir/restate)
// and the endpoints, and registers the deployment. On error, what started
// is stopped.
func startStack(ctx context.Context, cfg Config, dir string) (_ *stack, err error) {
	s := &stack{providers: sandbox.New(sandbox.WithFaults(faultRules(cfg.FaultRate, cfg.Seed)...))}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	s.recorder = newRecorder(s.providers)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.sandboxURL = "http://" + ln.Addr().String()
	s.sandboxSrv = &http.Server{Handler: s.recorder, ReadHeaderTimeout: 10 * time.Second}
	go s.sandboxSrv.Serve(ln) //nolint:errcheck // ErrServerClosed after Close.

	if s.server, err = restateserver.Start(ctx, restateserver.WithBaseDir(filepath.Join(dir, "restate")), restateserver.WithEnv(cfg.ServerEnv...)); err != nil {
		return nil, err
	}
	providers := []string{
		"--payments-url", s.sandboxURL + "/payments", "--shipping-url", s.sandboxURL + "/shipping",
		"--email-url", s.sandboxURL + "/email", "--travel-url", s.sandboxURL + "/travel",
	}
	var addrs []string
	for i := range cfg.Endpoints {
		name := string(rune('a' + i))
		e, err := newEndpoint(name, cfg.Reaflow, filepath.Join(dir, "endpoint-"+name+".log"), providers)
		if err != nil {
			return nil, err
		}
		s.endpoints = append(s.endpoints, e)
		if err := e.start(ctx); err != nil {
			return nil, err
		}
		addrs = append(addrs, e.addr)
	}
	if len(addrs) == 1 {
		s.deployment = "http://" + addrs[0]
	} else {
		if s.balancer, err = balancer.Start(addrs...); err != nil {
			return nil, err
		}
		s.deployment = s.balancer.URL()
	}
	if err := s.server.RegisterDeployment(ctx, s.deployment); err != nil {
		return nil, err
	}
	return s, nil
}

// ensureUp starts every endpoint that is down, so the runs in flight can
// finish once the chaos is over.
func (s *stack) ensureUp(ctx context.Context) error {
	var errs []error
	for _, e := range s.endpoints {
		if !e.running() {
			errs = append(errs, e.start(ctx))
		}
	}
	if s.server.Pid() == 0 {
		errs = append(errs, s.server.Restart(ctx))
	}
	return errors.Join(errs...)
}

// crashes lists endpoint exits nobody asked for.
func (s *stack) crashes() []string {
	var out []string
	for _, e := range s.endpoints {
		out = append(out, e.crashed()...)
	}
	return out
}

// stop ends every process and listener the stack started. It is safe on
// a partly started stack.
func (s *stack) stop() error {
	var err error
	// The server first: it closes its streams to the endpoints.
	if s.server != nil {
		if err = s.server.Stop(); err != nil {
			err = fmt.Errorf("stop restate-server: %w", err)
		}
	}
	for _, e := range s.endpoints {
		e.kill()
	}
	if s.balancer != nil {
		_ = s.balancer.Close()
	}
	if s.sandboxSrv != nil {
		s.sandboxSrv.Close()
	}
	return err
}
