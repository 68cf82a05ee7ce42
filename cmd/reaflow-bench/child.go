package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	childproc "github.com/reaflow/reaflow/internal/testkit/child"
)

// How long the endpoint child has to start, and to stop once terminated.
const (
	childStartTimeout = 30 * time.Second
	childStopGrace    = 10 * time.Second
)

// child is the endpoint running as a child process of the benchmark.
type child struct {
	URL  string
	Pid  int
	proc *childproc.Process
}

// startChild runs this program's endpoint command as a child process, with
// extra arguments, and returns once the endpoint listens. The child dies with the thread that
// started it (see internal/testkit/child), so a crashed benchmark leaves nothing
// behind; Stop ends it otherwise.
func startChild(ctx context.Context, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// A pipe of our own rather than cmd.StdoutPipe: reading that one
	// concurrently with cmd.Wait is a race.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, append([]string{endpointCommandName, "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	proc, err := childproc.Start(cmd)
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("start endpoint: %w", err)
	}
	c := &child{proc: proc}
	c.Pid = proc.Pid()

	line := make(chan string, 1)
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		first, _ := br.ReadString('\n')
		line <- strings.TrimSpace(first)
		// Anything else the endpoint prints goes where its logs go; the
		// pipe stays open until it exits.
		io.Copy(os.Stderr, br)
	}()
	select {
	case url := <-line:
		if strings.HasPrefix(url, "http://") {
			c.URL = url
			return c, nil
		}
		err = fmt.Errorf("endpoint did not print its URL (first line %q)", url)
	case <-time.After(childStartTimeout):
		err = errors.New("endpoint did not start in time")
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.Stop()
	return nil, err
}

// Stop terminates the endpoint (SIGTERM, then SIGKILL after a grace
// period) and waits for it to exit. It is safe to call more than once.
func (c *child) Stop() {
	c.proc.Signal(syscall.SIGTERM)
	select {
	case <-c.proc.Done():
	case <-time.After(childStopGrace):
		c.proc.Kill()
	}
}
