package runstatus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/interpreter"
)

// fakeRestate answers the queries Fetch makes with canned rows shaped
// like restate 1.7's, of the invocation's id; a failed run has not been
// redriven.
type fakeRestate struct {
	invocation map[string]any
	journal    []map[string]any
}

func (f *fakeRestate) Query(_ context.Context, sql string) ([]map[string]any, error) {
	switch {
	case strings.Contains(sql, "FROM sys_invocation"):
		if f.invocation == nil {
			return nil, nil
		}
		return []map[string]any{f.invocation}, nil
	case strings.Contains(sql, "FROM sys_journal"):
		for _, row := range f.journal {
			row["id"] = f.invocation["id"]
		}
		return f.journal, nil
	case strings.Contains(sql, "FROM state WHERE service_name = '"+interpreter.LineageService+"'"):
		return nil, nil
	}
	return nil, fmt.Errorf("unexpected query %s", sql)
}

const definition = `{"name": "flow", "version": "2", "steps": [
  {"id": "charge", "activity": "charge"},
  {"id": "vip", "when": "input.vip", "activity": "email"},
  {"id": "label", "set": {"x": 1}},
  {"id": "ship", "activity": "ship", "dedup": "'k'"},
  {"id": "notify", "activity": "email"}
]}`

// bytesJSON encodes b the way the journal's JSON shows payloads.
func bytesJSON(b []byte) string {
	ints := make([]int, len(b))
	for i, c := range b {
		ints[i] = int(c)
	}
	out, _ := json.Marshal(ints)
	return string(out)
}

func inputEntry() map[string]any {
	req, _ := json.Marshal(interpreter.RunRequest{Definition: definition, File: "flow.json"})
	return map[string]any{"index": 0.0, "entry_type": "Command: Input", "entry_lite_json": `{"Command":{"Input":{}}}`,
		"entry_json": `{"Command":{"Input":{"headers":[],"payload":` + bytesJSON(req) + `}}}`}
}

func runEntry(step string, completion int) map[string]any {
	return map[string]any{"entry_type": "Command: Run", "name": step,
		"entry_lite_json": fmt.Sprintf(`{"Command":{"Run":{"completion_id":%d,"name":%q}}}`, completion, step)}
}

func callEntry(step string, result int) map[string]any {
	param := bytesJSON([]byte(`{"activity":"ship","stepId":"` + step + `"}`))
	return map[string]any{"entry_type": "Command: Call", "entry_lite_json": `{"Command":{"Call":{}}}`,
		"entry_json": fmt.Sprintf(`{"Command":{"Call":{"request":{"parameter":%s},"invocation_id_completion_id":%d,"result_completion_id":%d}}}`, param, result-1, result)}
}

func completion(kind string, id int, result string) map[string]any {
	return map[string]any{"entry_type": "Notification: " + kind,
		"entry_lite_json": fmt.Sprintf(`{"Notification":{"ty":{"Completion":%q},"id":{"CompletionId":%d},"result":%q}}`, kind, id, result)}
}

func TestFetch(t *testing.T) {
	cases := []struct {
		name       string
		invocation map[string]any
		journal    []map[string]any
		state      runstatus.State
		steps      []runstatus.State
		attempts   int
	}{
		{
			name:       "completed: a false guard skipped a step, set steps passed",
			invocation: map[string]any{"status": "completed", "completion_result": "success"},
			journal: []map[string]any{inputEntry(), runEntry("charge", 1), completion("Run", 1, "Success"),
				callEntry("ship", 3), completion("CallInvocationId", 2, "InvocationId"), completion("Call", 3, "Success"),
				runEntry("notify", 4), completion("Run", 4, "Success")},
			state: runstatus.Done,
			steps: []runstatus.State{runstatus.Done, runstatus.Skipped, runstatus.Done, runstatus.Done, runstatus.Done},
		},
		{
			name:       "running the dedup call",
			invocation: map[string]any{"status": "suspended"},
			journal: []map[string]any{inputEntry(), runEntry("charge", 1), completion("Run", 1, "Success"),
				runEntry("vip", 2), completion("Run", 2, "Success"), callEntry("ship", 4)},
			state: runstatus.Running,
			steps: []runstatus.State{runstatus.Done, runstatus.Done, runstatus.Done, runstatus.Running, runstatus.Pending},
		},
		{
			name:       "retrying the first step",
			invocation: map[string]any{"status": "backing-off", "last_failure": "[500] status 503", "retry_count": 3.0},
			journal:    []map[string]any{inputEntry(), runEntry("charge", 1)},
			state:      runstatus.Retrying,
			steps:      []runstatus.State{runstatus.Retrying, runstatus.Pending, runstatus.Pending, runstatus.Pending, runstatus.Pending},
			attempts:   3,
		},
		{
			name:       "failed step",
			invocation: map[string]any{"status": "completed", "completion_result": "failure", "completion_failure": "[500] declined"},
			journal:    []map[string]any{inputEntry(), runEntry("charge", 1), completion("Run", 1, "Failure")},
			state:      runstatus.Failed,
			steps:      []runstatus.State{runstatus.Failed, runstatus.Pending, runstatus.Pending, runstatus.Pending, runstatus.Pending},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.invocation["id"] = "inv_1"
			run, err := runstatus.Fetch(context.Background(), &fakeRestate{invocation: c.invocation, journal: c.journal}, "wf-1")
			require.NoError(t, err)
			assert.Equal(t, c.state, run.State)
			assert.Equal(t, "flow", run.Definition)
			assert.Equal(t, "2", run.Version)
			var states []runstatus.State
			for _, s := range run.Steps {
				states = append(states, s.State)
			}
			assert.Equal(t, c.steps, states)
			assert.Equal(t, c.attempts, run.Steps[0].Attempts)
		})
	}
}

func TestFetchWithoutJournal(t *testing.T) {
	run, err := runstatus.Fetch(context.Background(), &fakeRestate{invocation: map[string]any{"id": "inv_1", "status": "completed", "completion_result": "success"}}, "wf-1")
	require.NoError(t, err)
	assert.True(t, run.JournalGone)
	assert.Equal(t, runstatus.Done, run.State)
	assert.Empty(t, run.Steps)
}

func TestFetchUnknownRun(t *testing.T) {
	_, err := runstatus.Fetch(context.Background(), &fakeRestate{}, "nope")
	assert.ErrorIs(t, err, runstatus.ErrNotFound)
}

// journalOnce answers the journal query with the real input entry the
// first time and with an undecodable one afterwards, so only a Reader that
// keeps the compiled definition reads the run again.
type journalOnce struct {
	fakeRestate
	journalReads int
}

func (j *journalOnce) Query(ctx context.Context, sql string) ([]map[string]any, error) {
	rows, err := j.fakeRestate.Query(ctx, sql)
	if strings.Contains(sql, "FROM sys_journal") {
		if j.journalReads++; j.journalReads > 1 {
			rows = append([]map[string]any{{"id": j.invocation["id"], "entry_type": "Command: Input", "entry_lite_json": `{"Command":{"Input":{}}}`, "entry_json": "not json"}}, rows[1:]...)
		}
	}
	return rows, err
}

// A Reader following a run compiles its definition once: later polls use
// the compiled program even if the journal's input is not decoded again.
func TestReaderCompilesEachDefinitionOnce(t *testing.T) {
	restate := &journalOnce{fakeRestate: fakeRestate{
		invocation: map[string]any{"id": "inv_1", "status": "running"},
		journal:    []map[string]any{inputEntry(), runEntry("charge", 1), completion("Run", 1, "Success")},
	}}
	reader := runstatus.NewReader(restate)
	for range 3 {
		run, err := reader.Fetch(context.Background(), "wf-1")
		require.NoError(t, err)
		assert.Equal(t, "flow", run.Definition)
		assert.Equal(t, runstatus.Done, run.Steps[0].State)
	}
	assert.Equal(t, 3, restate.journalReads)
}
