package child_test

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/child"
)

func TestStartSignalAndKill(t *testing.T) {
	var exited error
	p, err := child.Start(exec.Command("sleep", "30"), child.WithProcessGroup(), child.OnExit(func(err error) { exited = err }))
	require.NoError(t, err)
	assert.True(t, p.Running())
	assert.Positive(t, p.Pid())

	p.Signal(syscall.SIGTERM)
	<-p.Done()
	assert.False(t, p.Running())
	require.Error(t, p.Err())
	assert.Equal(t, p.Err(), exited, "OnExit saw the exit before Done closed")
	p.Kill() // a no-op once exited
}

func TestKillWaits(t *testing.T) {
	p, err := child.Start(exec.Command("sleep", "30"))
	require.NoError(t, err)
	p.Kill()
	assert.False(t, p.Running())
	assert.ErrorContains(t, p.Err(), "killed")
}

func TestStartFails(t *testing.T) {
	_, err := child.Start(exec.Command("/nonexistent/reaflow-child"))
	require.Error(t, err)
}
