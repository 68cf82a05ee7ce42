package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/runstatus"
)

func TestRunsListsRecentRunsOfADefinition(t *testing.T) {
	name := fmt.Sprintf("listed-%d", time.Now().UnixNano())
	file := writeFile(t, "listed.json", `{"name": "`+name+`", "steps": [
  {"id": "gate", "when": "input.wait", "parallel": {"branches": {"ask": [{"id": "ok", "await": {"signal": "go"}}]}}},
  {"id": "refuse", "when": "input.fail", "fail": {"error": "refused", "message": "no"}},
  {"id": "mail", "activity": "email", "with": {"to": "a@example.com"}}
]}`)
	waiting, done, failed := uniqueID(t)+"-w", uniqueID(t)+"-d", uniqueID(t)+"-f"
	require.Equal(t, 0, reaflow(t, "submit", file, "--id", done, "--input", `{}`, "--wait").code)
	require.Equal(t, 1, reaflow(t, "submit", file, "--id", failed, "--input", `{"fail": true}`, "--wait").code)
	require.Equal(t, 0, reaflow(t, "submit", file, "--id", waiting, "--input", `{"wait": true}`).code)

	var runs []runSummary
	require.Eventually(t, func() bool {
		r := reaflow(t, "runs", "--workflow", name, "--json")
		require.Equal(t, 0, r.code, r.stderr)
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &runs))
		return len(runs) == 3 && runs[0].State == runstatus.Waiting
	}, 10*time.Second, 100*time.Millisecond, "three runs, the newest waiting: %+v", runs)
	assert.Equal(t, []string{waiting, failed, done}, []string{runs[0].WorkflowID, runs[1].WorkflowID, runs[2].WorkflowID})
	assert.Equal(t, "gate/ask/ok", runs[0].CurrentStep)
	assert.Equal(t, "signal go", runs[0].WaitingFor)
	assert.Equal(t, runstatus.Failed, runs[1].State)
	assert.Contains(t, runs[1].Error, "refused")
	assert.Equal(t, runstatus.Done, runs[2].State)

	r := reaflow(t, "runs", "--workflow", name, "--status", "failed")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `(?m)^ID +DEFINITION +STATE +STEP +AGE$`, r.stdout)
	assert.Regexp(t, `(?m)^`+failed+` +`+name+` +failed +\d+s$`, r.stdout)
	assert.NotContains(t, r.stdout, done)

	r = reaflow(t, "runs", "--status", "sideways")
	assert.Equal(t, 2, r.code)
}
