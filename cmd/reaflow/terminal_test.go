package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On a terminal, submit --wait redraws the run's table in place: the
// screen ends with each step once, in its final state, where a pipe gets
// one line per change ("waiting nap", then "done nap").
func TestSubmitWaitRedrawsOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("this test drives a terminal with tmux: %v", err)
	}
	definition := writeFile(t, "nap.json", `{"name": "nap", "steps": [
  {"id": "first", "activity": "email", "with": {"to": "a@example.com"}},
  {"id": "nap", "sleep": "1500ms"},
  {"id": "last", "activity": "email", "with": {"to": "a@example.com"}}
]}`)
	id := uniqueID(t)
	session := "reaflow-" + id
	command := fmt.Sprintf("REAFLOW_INGRESS_URL=%s REAFLOW_ADMIN_URL=%s %s submit %s --id %s --wait; echo EXIT=$?; sleep 60",
		stack.Restate.IngressURL, stack.Restate.AdminURL, reaflowBin, definition, id)
	require.NoError(t, exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40", command).Run())
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })

	var screen string
	sawWaiting := false
	require.Eventually(t, func() bool {
		out, err := exec.Command("tmux", "capture-pane", "-p", "-t", session).Output()
		if err != nil {
			return false
		}
		screen = string(out)
		sawWaiting = sawWaiting || strings.Contains(screen, "waiting    nap") || strings.Contains(screen, "waiting  nap")
		return strings.Contains(screen, "EXIT=")
	}, 30*time.Second, 50*time.Millisecond)
	assert.Contains(t, screen, "EXIT=0")
	assert.True(t, sawWaiting, "the sleep was shown while it lasted")
	assert.Regexp(t, `(?m)^  done +nap +sleep`, screen)
	assert.NotContains(t, screen, "waiting", "the table was redrawn in place, not appended to:\n%s", screen)
	assert.Equal(t, 1, strings.Count(screen, id+"  nap"), "one header, redrawn:\n%s", screen)
}
