package clusterrun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/child"
)

// endpointProc is a `reaflow serve` process: a reaflow endpoint with the
// built-in activities pointed at the sandbox.
type endpointProc struct {
	addr string
	*child.Process
}

// startEndpoint runs `reaflow serve` on a free loopback port, logging to
// a file in dir, and returns once it listens.
func startEndpoint(ctx context.Context, reaflow, sandboxURL, dir, name string) (*endpointProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(reaflow, "serve", "--listen", addr,
		"--payments-url", sandboxURL+"/payments", "--shipping-url", sandboxURL+"/shipping",
		"--email-url", sandboxURL+"/email", "--travel-url", sandboxURL+"/travel")
	cmd.Stdout, cmd.Stderr = log, log
	proc, err := child.Start(cmd, child.OnExit(func(error) { log.Close() }))
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s serve: %w (build it with 'make build')", reaflow, err)
	}
	p := &endpointProc{addr: addr, Process: proc}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return p, nil
		}
		select {
		case <-p.Done():
			return nil, fmt.Errorf("%s serve exited before it listened; see %s", reaflow, log.Name())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New(reaflow + " serve did not listen within 30s; see " + log.Name())
		}
	}
}

// stop kills the endpoint and waits until it is gone.
func (p *endpointProc) stop() {
	if p != nil {
		p.Kill()
	}
}
