package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// decode unmarshals a run's output.
func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "output %s", raw)
	return out
}

func TestSwitchRunsTheFirstMatchingCase(t *testing.T) {
	definition := []byte(`{"name": "switch", "steps": [
	  {"id": "route", "switch": {
	    "cases": [
	      {"when": "input.amount > 1000", "steps": [{"id": "big", "activity": "inspect", "with": "big"}]},
	      {"when": "input.amount > 100", "steps": [{"id": "medium", "activity": "inspect", "with": "medium"}]}
	    ],
	    "default": [{"id": "small", "activity": "inspect", "with": "small"}]
	  }},
	  {"id": "after", "activity": "inspect", "with": "${ keys(steps.route.output) }"}
	]}`)
	for amount, want := range map[float64]string{5000: "big", 500: "medium", 5: "small"} {
		out, err := runWorkflow(t, uniqueID(t), definition, map[string]any{"amount": amount})
		require.NoError(t, err)
		result := decode(t, out)
		route := result["route"].(map[string]any)
		require.Len(t, route, 1, "only the chosen case runs: %v", route)
		assert.Equal(t, want, route[want].(map[string]any)["echo"])
		assert.Equal(t, []any{want}, result["after"].(map[string]any)["echo"])
	}
}

func TestParallelBranchesRunAsChildInvocations(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "parallel", "steps": [
	  {"id": "both", "parallel": {"branches": {
	    "left":  [{"id": "l1", "activity": "inspect", "with": "${ input.x }"}, {"id": "l2", "activity": "inspect", "with": "${ steps.l1.output.echo }-2"}],
	    "right": [{"id": "r1", "activity": "inspect", "with": "right"}]
	  }}},
	  {"id": "after", "activity": "inspect", "with": "${ steps.both.output.left.l2.echo }"}
	]}`)
	out, err := runWorkflow(t, id, definition, map[string]any{"x": "a"})
	require.NoError(t, err)
	result := decode(t, out)
	both := result["both"].(map[string]any)
	assert.Equal(t, "a-2", both["left"].(map[string]any)["l2"].(map[string]any)["echo"])
	assert.Equal(t, key(id, "r1"), both["right"].(map[string]any)["r1"].(map[string]any)["idempotencyKey"])
	assert.Equal(t, "a-2", result["after"].(map[string]any)["echo"])

	assert.Len(t, children(t, runInvocation(t, id)), 2, "one child invocation per branch")
}

// runInvocation returns the invocation id of the run id.
func runInvocation(t *testing.T, id string) string {
	t.Helper()
	rows, err := restateServer.Query(context.Background(), `SELECT id FROM sys_invocation
		WHERE target_service_name = 'Reaflow' AND target_handler_name = 'Run' AND target_service_key = '`+id+`'`)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	return rows[0]["id"].(string)
}

// children returns the ids of the block invocations invocation started.
func children(t *testing.T, invocation string) []string {
	t.Helper()
	rows, err := restateServer.Query(context.Background(), `SELECT id FROM sys_invocation
		WHERE target_service_name = '`+interpreter.BlockService+`' AND invoked_by_id = '`+invocation+`'`)
	require.NoError(t, err)
	var ids []string
	for _, row := range rows {
		ids = append(ids, row["id"].(string))
	}
	return ids
}

// A failed branch fails the step at once; the other branch's completed
// steps are compensated with the rest of the run.
func TestParallelFailFastCompensatesTheOtherBranches(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "parallel-fail", "steps": [
	  {"id": "first", "activity": "record", "with": {"label": "first"}, "compensate": {"activity": "record", "with": {"label": "undo first"}}},
	  {"id": "both", "parallel": {"branches": {
	    "good": [{"id": "g1", "activity": "record", "with": {"label": "g1"}, "compensate": {"activity": "record", "with": {"label": "undo g1"}}}],
	    "bad":  [{"id": "b0", "sleep": "300ms"}, {"id": "b1", "activity": "failWith", "with": {"code": "out_of_stock"}}]
	  }}}
	]}`)
	_, err := runWorkflow(t, id, definition, nil)
	te := terminal(t, err)
	assert.Contains(t, te.Message(), `step "b1" (activity failWith) failed: out_of_stock:`)
	assert.Contains(t, te.Message(), "compensated: g1, first")
	assert.Equal(t, []string{"first", "g1", "undo g1", "undo first"}, recordedCalls(id))
}

func TestForeachKeepsItemOrderAndKeysPerIndex(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "foreach", "steps": [
	  {"id": "each", "foreach": {"items": "input.items", "concurrency": 2, "steps": [
	    {"id": "line", "activity": "inspect", "with": "${ item }-${ index }"}
	  ]}}
	]}`)
	items := []any{"a", "b", "c", "d", "e"}
	out, err := runWorkflow(t, id, definition, map[string]any{"items": items})
	require.NoError(t, err)
	each := decode(t, out)["each"].([]any)
	require.Len(t, each, len(items))
	for i, item := range each {
		line := item.(map[string]any)["line"].(map[string]any)
		assert.Equal(t, fmt.Sprintf("%s-%d", items[i], i), line["echo"])
		assert.Equal(t, rea.IdempotencyKey(id, rea.Step("each"), rea.Index(i), rea.Step("line")), line["idempotencyKey"])
		assert.Equal(t, fmt.Sprintf("/steps/0[%d]/foreach/steps/0", i), line["stepPath"])
	}
}

// More items per group than one invocation runs itself go to child
// invocations of at most 100 items; the output is still in item order.
func TestForeachChunksLargeGroups(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "foreach-chunks", "steps": [
	  {"id": "each", "foreach": {"items": "input.items", "concurrency": 2, "steps": [
	    {"id": "double", "set": {"x": "${ item * 2 }"}},
	    {"id": "line", "activity": "inspect", "with": "${ vars.x }"}
	  ]}}
	], "output": "${ map(steps.each.output, .line.echo) }"}`)
	items := make([]int, 250)
	for i := range items {
		items[i] = i
	}
	out, err := runWorkflow(t, id, definition, map[string]any{"items": items})
	require.NoError(t, err)
	var got []float64
	require.NoError(t, json.Unmarshal(out, &got))
	require.Len(t, got, 250)
	for i, v := range got {
		require.Equal(t, float64(2*i), v)
	}
	groups := children(t, runInvocation(t, id))
	require.Len(t, groups, 2, "concurrency 2: two groups of 125 items")
	for _, group := range groups {
		assert.Len(t, children(t, group), 2, "each group runs 100 + 25 items in child invocations")
	}
}

func TestSleepWaitsDurably(t *testing.T) {
	definition := []byte(`{"name": "sleep", "steps": [
	  {"id": "nap", "sleep": "1s"},
	  {"id": "until", "sleep": {"until": "input.past"}},
	  {"id": "after", "activity": "inspect"}
	]}`)
	start := time.Now()
	_, err := runWorkflow(t, uniqueID(t), definition, map[string]any{"past": "2020-01-01T00:00:00Z"})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), time.Second)
}

// signal sends a signal to a run through the ingress, as `reaflow signal`
// does.
func signal(t *testing.T, id, name string, payload any) error {
	t.Helper()
	raw, err := json.Marshal(payload)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = ingress.Workflow[interpreter.SignalRequest, restate.Void](client, interpreter.WorkflowService, id, "Signal").
		Request(ctx, interpreter.SignalRequest{Name: name, Payload: raw})
	return err
}

// start submits a run without waiting for it, and returns a function that
// waits for its result.
func start(t *testing.T, id string, definition []byte, input any) func() (json.RawMessage, error) {
	t.Helper()
	raw, err := json.Marshal(input)
	require.NoError(t, err)
	ctx := context.Background()
	wf := ingress.Workflow[interpreter.RunRequest, json.RawMessage](client, interpreter.WorkflowService, id, "Run")
	_, err = wf.Send(ctx, interpreter.RunRequest{Definition: string(definition), Input: raw, File: t.Name() + ".json"})
	require.NoError(t, err)
	return func() (json.RawMessage, error) {
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		return ingress.WorkflowHandle[json.RawMessage](client, interpreter.WorkflowService, id).Attach(ctx)
	}
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 20*time.Millisecond, what)
}

func TestAwaitTakesTheSignalPayload(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "await", "steps": [
	  {"id": "work", "activity": "inspect"},
	  {"id": "approval", "await": {"signal": "approve", "schema": {"type": "object", "required": ["by"]}}},
	  {"id": "ship", "activity": "inspect", "with": "${ steps.approval.output.by }"}
	]}`)
	result := start(t, id, definition, nil)
	waitFor(t, "the run starts", func() bool {
		err := signal(t, id, "nope", nil)
		return err != nil && strings.Contains(err.Error(), "it awaits: approve")
	})
	err := signal(t, id, "approve", map[string]any{"who": "x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "by", "the schema refuses the payload")
	require.NoError(t, signal(t, id, "approve", map[string]any{"by": "alice"}))
	err = signal(t, id, "approve", map[string]any{"by": "bob"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already delivered")

	out, err := result()
	require.NoError(t, err)
	assert.Equal(t, "alice", decode(t, out)["ship"].(map[string]any)["echo"])
}

func TestAwaitTimeout(t *testing.T) {
	definition := []byte(`{"name": "await-timeout", "steps": [
	  {"id": "approval", "await": {"signal": "approve"}, "timeout": "500ms"}
	]}`)
	_, err := runWorkflow(t, uniqueID(t), definition, nil)
	assert.Contains(t, terminal(t, err).Message(), `step "approval" failed: timeout: timed out after 500ms`)

	definition = []byte(`{"name": "await-default", "steps": [
	  {"id": "approval", "await": {"signal": "approve", "onTimeout": {"output": {"approved": false}}}, "timeout": "500ms"}
	]}`)
	out, err := runWorkflow(t, uniqueID(t), definition, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"approved": false}, decode(t, out)["approval"])
}

// awakeable completes a callback through the ingress, as `reaflow
// resolve` and `reaflow reject` do.
func awakeable(t *testing.T, callbackID, action, contentType, body string) {
	t.Helper()
	resp, err := http.Post(restateServer.IngressURL+"/restate/awakeables/"+callbackID+"/"+action, contentType, strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "%s %s", action, resp.Status)
}

func callbackOf(t *testing.T, id, step string) string {
	t.Helper()
	var cb any
	waitFor(t, "the activity gets its callback id", func() bool {
		var ok bool
		cb, ok = callbacks.Load(id + "/" + step)
		return ok
	})
	return cb.(string)
}

func TestCallbackStepWaitsForTheOutsideSystem(t *testing.T) {
	definition := []byte(`{"name": "callback", "steps": [
	  {"id": "review", "activity": "inspect", "callback": true, "timeout": "30s"},
	  {"id": "after", "activity": "inspect", "with": "${ steps.review.output.verdict }"}
	]}`)
	id := uniqueID(t)
	result := start(t, id, definition, nil)
	awakeable(t, callbackOf(t, id, "review"), "resolve", "application/json", `{"verdict": "ok"}`)
	out, err := result()
	require.NoError(t, err)
	assert.Equal(t, "ok", decode(t, out)["after"].(map[string]any)["echo"])

	id = uniqueID(t)
	result = start(t, id, definition, nil)
	awakeable(t, callbackOf(t, id, "review"), "reject", "text/plain", "document unreadable")
	_, err = result()
	assert.Contains(t, terminal(t, err).Message(), `step "review" (activity inspect) failed: callback_rejected: document unreadable`)
}

func TestCatch(t *testing.T) {
	definition := []byte(`{"name": "catch", "steps": [
	  {"id": "pay", "activity": "failWith", "with": {"code": "${ input.code }"},
	   "catch": [
	     {"errors": ["card_declined"], "steps": [{"id": "tell", "activity": "inspect", "with": "${ error.code } at ${ error.step }"}]}
	   ]},
	  {"id": "after", "activity": "inspect", "with": "${ steps.pay.output.tell.echo }"}
	]}`)
	out, err := runWorkflow(t, uniqueID(t), definition, map[string]any{"code": "card_declined"})
	require.NoError(t, err)
	assert.Equal(t, "card_declined at pay", decode(t, out)["after"].(map[string]any)["echo"])

	_, err = runWorkflow(t, uniqueID(t), definition, map[string]any{"code": "fraud"})
	assert.Contains(t, terminal(t, err).Message(), "failed: fraud:", "an error no handler lists propagates")
}

func TestFailAndReturn(t *testing.T) {
	definition := []byte(`{"name": "fail-return", "steps": [
	  {"id": "early", "when": "input.stop", "return": {"stopped": true}},
	  {"id": "refuse", "when": "input.refuse", "fail": {"error": "refused", "message": "refused ${ workflow.id }"}},
	  {"id": "work", "activity": "inspect"}
	]}`)
	out, err := runWorkflow(t, uniqueID(t), definition, map[string]any{"stop": true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"stopped": true}`, string(out))

	id := uniqueID(t)
	_, err = runWorkflow(t, id, definition, map[string]any{"refuse": true})
	assert.Contains(t, terminal(t, err).Message(), `step "refuse" failed: refused: refused `+id)
}

func TestCompensationsRunInReverseOrder(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "saga", "steps": [
	  {"id": "a", "activity": "record", "with": {"label": "a"}, "compensate": {"activity": "record", "with": {"label": "undo ${ steps.a.output }"}}},
	  {"id": "b", "activity": "record", "with": {"label": "b"}},
	  {"id": "c", "activity": "record", "with": {"label": "c"}, "compensate": {"activity": "record", "with": {"label": "undo c"}}},
	  {"id": "each", "foreach": {"items": "[1, 2]", "steps": [
	    {"id": "d", "activity": "record", "with": {"label": "d${ item }"}, "compensate": {"activity": "record", "with": {"label": "undo d${ item }"}}}
	  ]}},
	  {"id": "boom", "activity": "failWith", "with": {"code": "broken"}}
	]}`)
	_, err := runWorkflow(t, id, definition, nil)
	te := terminal(t, err)
	assert.Contains(t, te.Message(), "failed: broken:")
	assert.Contains(t, te.Message(), "; compensated: d[1], d[0], c, a")
	assert.Equal(t, []string{"a", "b", "c", "d1", "d2", "undo d2", "undo d1", "undo c", "undo a"}, recordedCalls(id))
}

func TestFailingCompensationIsReported(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "saga-broken", "steps": [
	  {"id": "a", "activity": "record", "with": {"label": "a"}, "compensate": {"activity": "record", "with": {"label": "undo a"}}},
	  {"id": "b", "activity": "record", "with": {"label": "b"}, "compensate": {"activity": "failWith", "with": {"code": "refund_refused"}}},
	  {"id": "boom", "activity": "failWith", "with": {"code": "broken"}}
	]}`)
	_, err := runWorkflow(t, id, definition, nil)
	te := terminal(t, err)
	assert.Contains(t, te.Message(), "; compensated: a;", "the other compensations still run")
	assert.Contains(t, te.Message(), "COMPENSATION FAILED: b (failWith): refund_refused")
	assert.Equal(t, []string{"a", "b", "undo a"}, recordedCalls(id))
}

func TestWorkflowTimeoutCompensates(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "slow", "timeout": "700ms", "steps": [
	  {"id": "a", "activity": "record", "with": {"label": "a"}, "compensate": {"activity": "record", "with": {"label": "undo a"}}},
	  {"id": "nap", "sleep": "1h"}
	]}`)
	_, err := runWorkflow(t, id, definition, nil)
	assert.Contains(t, terminal(t, err).Message(), "workflow slow failed: timeout: it ran longer than its timeout of 700ms; compensated: a")
	assert.Equal(t, []string{"a", "undo a"}, recordedCalls(id))
}

// Cancelling a run (as `reaflow cancel` does) interrupts its sleep; the
// completed steps are compensated and the run fails as cancelled.
func TestCancellationDuringSleepCompensates(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "cancel-sleep", "steps": [
	  {"id": "a", "activity": "record", "with": {"label": "a"}, "compensate": {"activity": "record", "with": {"label": "undo a"}}},
	  {"id": "both", "parallel": {"branches": {
	    "nap":  [{"id": "long", "sleep": "1h"}],
	    "work": [{"id": "b", "activity": "record", "with": {"label": "b"}, "compensate": {"activity": "record", "with": {"label": "undo b"}}},
	             {"id": "wait", "await": {"signal": "never"}}]
	  }}}
	]}`)
	result := start(t, id, definition, nil)
	waitFor(t, "both branches are waiting", func() bool { return len(recordedCalls(id)) == 2 })
	require.NoError(t, admin.New(restateServer.AdminURL, "").CancelInvocation(context.Background(), runInvocation(t, id)))

	_, err := result()
	te := terminal(t, err)
	assert.EqualValues(t, 409, te.Code())
	assert.Contains(t, te.Message(), "compensated: b, a")
	assert.Equal(t, []string{"a", "b", "undo b", "undo a"}, recordedCalls(id))
}

// A foreach over 10,000 items with concurrency 50 completes, and no
// invocation's journal grows with the number of items: 50 groups of 200
// items, each run as two child invocations of 100 items.
func TestForeachTenThousandItems(t *testing.T) {
	if os.Getenv(restatetest.AlwaysReplayEnv) != "" {
		// Replaying a 100-item chunk at each of its steps takes ~40s here;
		// TestForeachChunksLargeGroups covers the chunks in this mode.
		t.Skip("too slow in always-replay mode")
	}
	id := uniqueID(t)
	definition := []byte(`{"name": "foreach-10k", "steps": [
	  {"id": "each", "foreach": {"items": "input.items", "concurrency": 50, "steps": [
	    {"id": "line", "activity": "record", "with": {"label": "${ string(item) }"}}
	  ]}}
	], "output": "${ len(steps.each.output) }"}`)
	items := make([]int, 10_000)
	for i := range items {
		items[i] = i
	}
	started := time.Now()
	out, err := runWorkflow(t, id, definition, map[string]any{"items": items})
	require.NoError(t, err)
	elapsed := time.Since(started)
	assert.Equal(t, "10000", string(out))
	assert.Len(t, recordedCalls(id), 10_000, "every item ran once")

	rows, err := restateServer.Query(context.Background(), `SELECT j.id, count(*) AS entries FROM sys_journal j
		JOIN sys_invocation i ON j.id = i.id
		WHERE i.target_service_name IN ('Reaflow', '`+interpreter.BlockService+`') AND i.created_at >= '`+started.UTC().Format(time.RFC3339Nano)+`'
		GROUP BY j.id ORDER BY entries DESC LIMIT 1`)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	largest := rows[0]["entries"].(float64)
	t.Logf("10,000 items, concurrency 50: %s; largest journal %v entries", elapsed.Round(time.Millisecond), largest)
	assert.Less(t, largest, 400.0, "a journal holds at most a chunk of 100 items")
}

func TestChildWorkflows(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "parent", "steps": [
	  {"id": "child", "workflow": {"input": {"x": "${ workflow.id }"}, "definition": {
	    "name": "child", "steps": [{"id": "inner", "activity": "inspect", "with": "${ input.x }"}],
	    "output": "${ steps.inner.output }"
	  }}},
	  {"id": "each", "foreach": {"items": "[1, 2]", "steps": [
	    {"id": "side", "workflow": {"wait": false, "input": "${ item }", "definition": {"name": "side", "steps": [{"id": "s", "activity": "record", "with": {"label": "side ${ input }"}}]}}}
	  ]}}
	]}`)
	out, err := runWorkflow(t, id, definition, nil)
	require.NoError(t, err)
	result := decode(t, out)
	inner := result["child"].(map[string]any)
	assert.Equal(t, id, inner["echo"], "the child got its input")
	assert.Equal(t, id+".child", inner["workflowId"], "the child's id derives from the run's and the step's")
	assert.Equal(t, key(id+".child", "inner"), inner["idempotencyKey"])
	each := result["each"].([]any)
	assert.Equal(t, id+".side.1", each[1].(map[string]any)["side"].(map[string]any)["workflowId"])
	waitFor(t, "the fire-and-forget children ran", func() bool {
		return len(recordedCalls(id+".side.0")) == 1 && len(recordedCalls(id+".side.1")) == 1
	})

	// A failing child fails the step, and its catch handler can take it.
	definition = []byte(`{"name": "parent-fails", "steps": [
	  {"id": "child", "workflow": {"definition": {"name": "child", "steps": [{"id": "no", "activity": "failWith", "with": {"code": "nope"}}]}},
	   "catch": [{"steps": [{"id": "handled", "activity": "inspect", "with": "${ error.message }"}]}]}
	]}`)
	out, err = runWorkflow(t, uniqueID(t), definition, nil)
	require.NoError(t, err)
	assert.Contains(t, string(out), `failed: nope: failing with nope as asked`)
}

// A cancellation that arrives while an activity's Run is in flight: the
// Run completes, so its step is compensated like any completed step, with
// or without deadlines in play.
func TestCancellationDuringAnActivityCompensatesIt(t *testing.T) {
	for _, tc := range []struct{ name, timeout string }{{"no timeout", ""}, {"workflow timeout", `"timeout": "1h",`}} {
		t.Run(tc.name, func(t *testing.T) {
			id := uniqueID(t)
			definition := []byte(`{"name": "cancel-run", ` + tc.timeout + ` "steps": [
			  {"id": "a", "activity": "record", "with": {"label": "a"}, "compensate": {"activity": "record", "with": {"label": "undo a"}}},
			  {"id": "b", "activity": "slow", "with": {"label": "b"}, "compensate": {"activity": "record", "with": {"label": "undo b"}}}
			]}`)
			result := start(t, id, definition, nil)
			waitFor(t, "b started", func() bool { return len(recordedCalls(id)) == 2 })
			require.NoError(t, admin.New(restateServer.AdminURL, "").CancelInvocation(context.Background(), runInvocation(t, id)))
			_, err := result()
			te := terminal(t, err)
			assert.EqualValues(t, 409, te.Code())
			assert.Contains(t, te.Message(), "compensated: b, a")
			assert.Equal(t, []string{"a", "start b", "undo b", "undo a"}, recordedCalls(id))
		})
	}
}

// A cancellation is the run's, not a step's failure: no catch handler
// takes it, and the run ends as cancelled.
func TestCatchDoesNotTakeCancellation(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "cancel-catch", "steps": [
	  {"id": "b", "activity": "slow", "with": {"label": "b"},
	   "catch": [{"steps": [{"id": "h", "activity": "record", "with": {"label": "caught ${ error.code }"}}]}]},
	  {"id": "after", "activity": "record", "with": {"label": "after"}}
	]}`)
	result := start(t, id, definition, nil)
	waitFor(t, "b started", func() bool { return len(recordedCalls(id)) == 1 })
	require.NoError(t, admin.New(restateServer.AdminURL, "").CancelInvocation(context.Background(), runInvocation(t, id)))
	_, err := result()
	assert.EqualValues(t, 409, terminal(t, err).Code())
	assert.Equal(t, []string{"start b"}, recordedCalls(id))
}

// Variables a switch case or a catch handler sets stay in it, as in
// blocks that run in child invocations.
func TestVariablesStayInTheirBlock(t *testing.T) {
	definition := []byte(`{"name": "scoped-vars", "steps": [
	  {"id": "first", "set": {"x": 1}},
	  {"id": "route", "switch": {"cases": [{"when": "true", "steps": [{"id": "inner", "set": {"x": 2}}, {"id": "seen", "activity": "inspect", "with": "${ vars.x }"}]}]}},
	  {"id": "fails", "activity": "failWith", "with": {"code": "x"}, "catch": [{"steps": [{"id": "again", "set": {"x": 3}}]}]},
	  {"id": "after", "activity": "inspect", "with": "${ vars.x }"}
	]}`)
	out, err := runWorkflow(t, uniqueID(t), definition, nil)
	require.NoError(t, err)
	result := decode(t, out)
	assert.EqualValues(t, 2, result["route"].(map[string]any)["seen"].(map[string]any)["echo"], "inside the case, its own value")
	assert.EqualValues(t, 1, result["after"].(map[string]any)["echo"], "after the blocks, the value from before them")
}
