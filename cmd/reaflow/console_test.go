package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The console signals, cancels and redrives runs: beyond loopback it
// does not start without a token.
func TestConsoleNeedsATokenBeyondLoopback(t *testing.T) {
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		return m.Run(context.Background(), append([]string{"console"}, args...)), stderr.String()
	}
	code, stderr := run("--listen", "0.0.0.0:0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--listen 0.0.0.0:0 is beyond loopback")
	assert.Contains(t, stderr, "--token")

	empty := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	code, stderr = run("--listen", "0.0.0.0:0", "--token-file", empty)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "is empty")
	code, stderr = run("--token", "a", "--token-file", empty)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "not both")
}
