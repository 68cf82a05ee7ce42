package runstatus_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/interpreter"
)

// Status can only place what it can name: every entry the interpreter
// journals, in a run's own journal and in those of the invocations it
// calls, must be one that package journalname declares and that status
// places in the run's definition. The runs below write every kind of
// named entry; a name the interpreter writes differently from what status
// reads shows up as an entry it cannot place.
func TestStatusKnowsEveryJournalEntry(t *testing.T) {
	saga := start(t, `{"name": "every-entry", "timeout": "1h", "steps": [
	  {"id": "charge", "activity": "echo", "timeout": "1h", "compensate": {"activity": "undo"}},
	  {"id": "each", "foreach": {"items": "[1, 2]", "steps": [
	    {"id": "book", "activity": "echo", "compensate": {"activity": "undo"}}]}},
	  {"id": "ship", "activity": "echo", "dedup": "workflow.id + ':ship'"},
	  {"id": "fork", "parallel": {"branches": {
	    "left": [{"id": "l1", "activity": "echo"}],
	    "right": [{"id": "hold", "await": {"signal": "go"}}]}}},
	  {"id": "approval", "await": {"signal": "approve"}},
	  {"id": "nap", "sleep": "10ms"},
	  {"id": "later", "sleep": {"until": "input.until"}},
	  {"id": "sub", "workflow": {"definition": {"name": "child", "steps": [{"id": "c1", "activity": "echo"}]}}},
	  {"id": "boom", "activity": "failWith", "with": {"code": "declined"}}
	]}`, map[string]any{"until": "2000-01-01T00:00:00Z"})
	reader := runstatus.NewReader(stack.Restate)
	await(t, reader, saga, "waiting for its signals", func(r *runstatus.Run) bool { return r.State == runstatus.Waiting })
	signal(t, saga, "go", `{}`)
	signal(t, saga, "approve", `{}`)
	run := await(t, reader, saga, "failed and compensated", isFinished)
	require.Contains(t, run.Error, "compensated: ")

	// A cancellation while an activity is in flight makes the run wait a
	// while for its outcome.
	stuck := start(t, `{"name": "cancelled", "steps": [{"id": "stuck", "activity": "gate"}]}`, nil)
	run = await(t, reader, stuck, "retrying", func(r *runstatus.Run) bool { return r.State == runstatus.Retrying })
	require.NoError(t, admin.New(stack.Restate.AdminURL, "").CancelInvocation(t.Context(), run.InvocationID))
	await(t, reader, stuck, "cancelled", isFinished)

	// A redrive claims the run it redrives before its first step.
	failed := start(t, `{"name": "redriven", "steps": [
	  {"id": "first", "activity": "echo"},
	  {"id": "boom", "activity": "failWith", "with": {"code": "declined"}}
	]}`, nil)
	await(t, reader, failed, "failed", isFinished)
	c, err := client.New(stack.Restate.IngressURL, stack.Restate.AdminURL)
	require.NoError(t, err)
	plan, err := c.Redrive(t.Context(), failed, client.RedriveOptions{})
	require.NoError(t, err)
	await(t, reader, plan.ID, "the redrive failed too", isFinished)

	var explained []string
	for _, id := range []string{saga, saga + ".sub", stuck, failed, plan.ID} {
		runInput, byInvocation := journals(t, id)
		for inv, rows := range byInvocation {
			got, unexplained, err := runstatus.ExplainJournal(runInput, id, rows)
			require.NoError(t, err, inv)
			assert.Empty(t, unexplained, "entries status cannot place, in %s of run %s", inv, id)
			explained = append(explained, got...)
		}
	}
	slices.Sort(explained)
	assert.Equal(t, []string{
		"Run: activity", "Run: clock", "Run: compensation",
		"await: Command: Call", "await: Command: GetPromise",
		"call: block", "call: child run", "call: dedup", "call: redrive claim",
		"signal delivered",
		"timer: cancel grace", "timer: sleep", "timer: step timeout", "timer: workflow timeout",
	}, slices.Compact(explained), "the runs journal every kind of named entry")
}

// journals returns the full JSON of the input entry of the run with
// workflow id, and the journal rows of every invocation of the run by
// invocation id: its Run, Signal and Await handlers', and those of the
// invocations they called, but not those of child runs.
func journals(t *testing.T, id string) (string, map[string][]map[string]any) {
	t.Helper()
	invocations, err := stack.Restate.Query(t.Context(), `SELECT id, target_service_name, target_service_key, target_handler_name, invoked_by_id FROM sys_invocation`)
	require.NoError(t, err)
	mine, runInvocation := map[string]bool{}, ""
	for grew := true; grew; {
		grew = false
		for _, inv := range invocations {
			invID, service, key := fmt.Sprint(inv["id"]), fmt.Sprint(inv["target_service_name"]), fmt.Sprint(inv["target_service_key"])
			isRun := service == interpreter.WorkflowService
			if isRun && key == id && inv["target_handler_name"] == "Run" {
				runInvocation = invID
			}
			if !mine[invID] && (isRun && key == id || !isRun && mine[fmt.Sprint(inv["invoked_by_id"])]) {
				mine[invID], grew = true, true
			}
		}
	}
	require.NotEmpty(t, runInvocation, "the invocation of run %s", id)
	runInput := ""
	byInvocation := map[string][]map[string]any{}
	for invID := range mine {
		rows, err := stack.Restate.Query(t.Context(), fmt.Sprintf(`SELECT index, entry_type, name, entry_lite_json, entry_json
			FROM sys_journal WHERE id = '%s' ORDER BY index`, invID))
		require.NoError(t, err)
		require.NotEmpty(t, rows, "the journal of %s", invID)
		byInvocation[invID] = rows
		if invID == runInvocation {
			runInput = fmt.Sprint(rows[0]["entry_json"])
		}
	}
	return runInput, byInvocation
}
