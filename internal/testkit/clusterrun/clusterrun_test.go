package clusterrun_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/clusterrun"
)

// A smaller run of `make cluster-test`: 120 mixed runs on a 3-node
// cluster, a node SIGKILLed a quarter of the way through and restarted 3s
// later. No run is lost, no effect happens twice, and `reaflow submit
// --wait` given the killed node's addresses first rides through.
func TestNodeKilledUnderLoad(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "reaflow")
	out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/reaflow").CombinedOutput()
	require.NoError(t, err, "build reaflow:\n%s", out)

	cfg := clusterrun.Defaults()
	cfg.Reaflow, cfg.Workflows = bin, "../../../workflows"
	cfg.Runs, cfg.BaselineRuns, cfg.Down = 120, 0, 3*time.Second
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	report, err := clusterrun.Run(t.Context(), cfg)
	require.NoError(t, err)
	var text strings.Builder
	report.Print(&text)
	t.Log("\n" + text.String())

	require.True(t, report.OK(), "problems: %v", report.Problems)
	assert.Equal(t, 121, report.Runs, "120 runs and the CLI's")
	assert.Equal(t, report.Runs, report.Completed)
	assert.Zero(t, report.Lost)
	assert.Zero(t, report.Duplicates)
	assert.Zero(t, report.Unexpected)
	assert.Equal(t, 0, report.Kill.CLI.ExitCode)
	assert.NotZero(t, report.Kill.RejoinedAt, "the restarted node rejoined")
	assert.Positive(t, report.Kill.RolesAfter.Partitions, "the restarted node runs partitions again")
	assert.NotEqual(t, report.Ingress.Name, report.Victim.Name)
}
