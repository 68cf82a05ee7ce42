package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The README's walkthrough works as written: each command, run in the
// repository's root against the test stack (the walkthrough's Restate is
// `reaflow dev`'s; here the environment points the CLI at the test's),
// exits 0. A command written with "|| true" may fail: the saga does.
func TestREADMEWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)<!-- walkthrough:[^>]*-->\n```sh\n(.*?)```\n<!-- end of walkthrough -->").FindSubmatch(readme)
	require.NotNil(t, block, "the README has a walkthrough block")
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	env := append(os.Environ(), "REAFLOW_INGRESS_URL="+stack.Restate.IngressURL, "REAFLOW_ADMIN_URL="+stack.Restate.AdminURL)
	commands := 0
	for _, line := range strings.Split(string(block[1]), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		require.True(t, strings.HasPrefix(line, "bin/reaflow "), "walkthrough lines are reaflow commands: %s", line)
		script := reaflowBin + strings.TrimPrefix(line, "bin/reaflow")
		run := func() ([]byte, error) {
			cmd := exec.Command("sh", "-c", script)
			cmd.Dir, cmd.Env = root, env
			return cmd.CombinedOutput()
		}
		out, err := run()
		if err != nil && strings.Contains(line, " signal ") {
			// A person types the signal long after the run started; the
			// test may be faster than the run's first step.
			deadline := time.Now().Add(10 * time.Second)
			for err != nil && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				out, err = run()
			}
		}
		require.NoError(t, err, "%s\n%s", line, out)
		commands++
	}
	require.GreaterOrEqual(t, commands, 10)
}
