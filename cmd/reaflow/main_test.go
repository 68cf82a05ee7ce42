package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/devstack"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

// The CLI tests share one local stack (restate-server, sandbox, in-process
// endpoint); the crash tests start their own server and run the reaflow
// binary built here as the endpoint, so they can SIGKILL it.
var (
	stack      *devstack.Stack
	reaflowBin string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "reaflow-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	reaflowBin = filepath.Join(dir, "reaflow")
	// -buildvcs=auto whatever GOFLAGS says: in a checkout, the binary
	// records its commit as a release build does (TestVersionComesFromBuildInfo).
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", reaflowBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build reaflow: %v\n%s", err, out)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if stack, err = devstack.Start(ctx, devstack.WithLogger(logger), devstack.WithRestateOptions(restatetest.AlwaysReplay()...)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.Stop()
	return m.Run()
}

// result is what one CLI invocation did.
type result struct {
	code           int
	stdout, stderr string
}

// reaflow runs the CLI in process against the shared stack.
func reaflow(t *testing.T, args ...string) result {
	t.Helper()
	return reaflowWithStdin(t, nil, args...)
}

func reaflowWithStdin(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: stdin, Stdout: &stdout, Stderr: &stderr, Getenv: func(name string) string {
		switch name {
		case "REAFLOW_INGRESS_URL":
			return stack.Restate.IngressURL
		case "REAFLOW_ADMIN_URL":
			return stack.Restate.AdminURL
		}
		return ""
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := m.Run(ctx, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// writeFile writes content to a file in a test's temp dir.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// uniqueID is a run id no other test uses.
func uniqueID(t *testing.T) string {
	return fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}
