package chaos

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/child"
)

// endpointStartTimeout bounds how long a started `reaflow serve` may take
// to listen.
const endpointStartTimeout = 30 * time.Second

// endpoint is one `reaflow serve` process on a fixed loopback address, so
// that a restarted process is found where the killed one was.
type endpoint struct {
	name   string
	binary string
	addr   string
	args   []string
	log    string

	mu   sync.Mutex
	proc *endpointProc
	// starts counts launches, the first included.
	starts int
	// crashes lists exits the harness did not cause. It has a lock of its
	// own: an exit is recorded while start may hold mu.
	crashMu sync.Mutex
	crashes []string
}

type endpointProc struct {
	*child.Process
	killed atomic.Bool // set before the harness kills it
}

func newEndpoint(name, binary, logFile string, providerArgs []string) (*endpoint, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--listen", addr}, providerArgs...)
	return &endpoint{name: name, binary: binary, addr: addr, args: args, log: logFile}, nil
}

// freeAddr finds a free loopback port. The endpoint binds it a moment
// later; another process taking it in between makes start fail loudly.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start launches the process and waits until it accepts connections.
func (e *endpoint) start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc != nil {
		return nil
	}
	logFile, err := os.OpenFile(e.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logFile, "--- chaos: starting %s %v ---\n", e.binary, e.args)
	cmd := exec.Command(e.binary, e.args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p := &endpointProc{}
	proc, err := child.Start(cmd, child.OnExit(func(err error) {
		logFile.Close()
		if !p.killed.Load() {
			e.crashMu.Lock()
			e.crashes = append(e.crashes, fmt.Sprintf("endpoint %s (pid %d) exited by itself: %v; see %s", e.name, cmd.Process.Pid, err, e.log))
			e.crashMu.Unlock()
		}
	}))
	if err != nil {
		logFile.Close()
		return fmt.Errorf("start endpoint %s: %w", e.name, err)
	}
	p.Process = proc
	e.proc = p
	e.starts++
	ctx, cancel := context.WithTimeout(ctx, endpointStartTimeout)
	defer cancel()
	for {
		conn, err := net.DialTimeout("tcp", e.addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-p.Done():
			e.proc = nil
			return fmt.Errorf("endpoint %s exited before it listened on %s; see %s", e.name, e.addr, e.log)
		case <-ctx.Done():
			e.killLocked()
			return fmt.Errorf("endpoint %s does not listen on %s: %w; see %s", e.name, e.addr, ctx.Err(), e.log)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL, as a crash would, and waits for the process to be
// gone. It reports whether a process was running.
func (e *endpoint) kill() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.killLocked()
}

func (e *endpoint) killLocked() bool {
	p := e.proc
	if p == nil {
		return false
	}
	e.proc = nil
	if !p.Running() {
		return false
	}
	p.killed.Store(true)
	p.Kill()
	return true
}

// crashed returns the exits the harness did not cause.
func (e *endpoint) crashed() []string {
	e.crashMu.Lock()
	defer e.crashMu.Unlock()
	return append([]string(nil), e.crashes...)
}

// running reports whether the process is up.
func (e *endpoint) running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.proc != nil && e.proc.Running()
}
