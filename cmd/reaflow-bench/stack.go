package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/bench"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
)

// serverLogLines is how much of restate-server's log a failure shows; the
// log goes away with the server's temporary directory.
const serverLogLines = 30

// stack is everything a benchmark runs against.
type stack struct {
	machine  bench.Machine
	endpoint *child
	server   *restateserver.Server
	target   *bench.Target
}

// startStack starts the endpoint (with extra arguments for its command)
// and restate-server, registers the one with the other, and checks that
// every variant computes the same output at every step count. If anything
// fails, what started is stopped.
func startStack(ctx context.Context, steps, concurrency []int, timeout time.Duration, endpointArgs ...string) (_ *stack, err error) {
	binary, err := restateserver.Binary()
	if err != nil {
		return nil, err
	}
	s := &stack{machine: bench.DescribeMachine(ctx, binary)}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if s.endpoint, err = startChild(ctx, endpointArgs...); err != nil {
		return nil, err
	}
	if s.server, err = restateserver.Start(ctx, restateserver.WithBinary(binary)); err != nil {
		return nil, err
	}
	if err := s.server.RegisterDeployment(ctx, s.endpoint.URL); err != nil {
		return nil, err
	}
	client, err := bench.NewClient(s.server.IngressURL, slices.Max(concurrency))
	if err != nil {
		return nil, err
	}
	for _, k := range steps {
		if err := client.Prepare(k); err != nil {
			return nil, err
		}
		if err := client.Check(ctx, k, "check"); err != nil {
			return nil, s.withLog(err)
		}
	}
	s.target = &bench.Target{Client: client, Querier: s.server, EndpointPid: s.endpoint.Pid, ServerPid: s.server.Pid(), Timeout: timeout}
	progress("restate-server %s, endpoint %s (pid %d); every variant returns the baseline's output", s.server.IngressURL, s.endpoint.URL, s.endpoint.Pid)
	return s, nil
}

// stop stops the server first: it closes its streams to the endpoint,
// which can then stop at once.
func (s *stack) stop() {
	if s.server != nil {
		if err := s.server.Stop(); err != nil {
			progress("stop restate-server: %v", err)
		}
	}
	if s.endpoint != nil {
		s.endpoint.Stop()
	}
}

// withLog adds the end of the server's log to err.
func (s *stack) withLog(err error) error {
	return errors.Join(err, fmt.Errorf("restate-server log %s, last lines:\n%s", s.server.LogFile, s.server.LogTail(serverLogLines)))
}
