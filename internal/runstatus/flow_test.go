package runstatus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/internal/testkit/devstack"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// The tests of this file run workflows on a real restate-server and read
// their status from it, as the CLI does.
var stack *devstack.Stack

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Retried activities are logged as errors by design; the tests say
	// what went wrong themselves.
	var err error
	stack, err = devstack.Start(ctx, devstack.WithLogger(slog.New(slog.DiscardHandler)),
		devstack.WithInterpreterOptions(interpreter.WithDefaultRetry(rea.RunConfig{MaxRetries: rea.Unlimited, InitialDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond, BackoffFactor: 2})),
		devstack.WithActivities(func(reg *activities.Registry) {
			activities.Register(reg, "echo", echo)
			activities.Register(reg, "failWith", failWith)
			activities.Register(reg, "undo", undo)
			activities.Register(reg, "gate", gate)
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.Stop()
	return m.Run()
}

// callbacks maps "workflow id/step id" to the callback id echo was given.
var callbacks sync.Map

// echo returns its input, and notes the callback id it was given.
func echo(ctx *activities.Context, in any) (any, error) {
	if ctx.CallbackID != "" {
		callbacks.Store(ctx.WorkflowID+"/"+ctx.StepID, ctx.CallbackID)
	}
	return map[string]any{"echo": in}, nil
}

// failWith fails terminally with the code it is given.
func failWith(_ *activities.Context, in struct {
	Code string `json:"code"`
}) (any, error) {
	return nil, activities.TerminalErrorf(in.Code, "failing with %s as asked", in.Code)
}

// undo is a compensation that fails for good when asked to.
func undo(_ *activities.Context, in struct {
	Fail bool `json:"fail"`
}) (string, error) {
	if in.Fail {
		return "", activities.TerminalErrorf("undo_refused", "cannot undo this one")
	}
	return "undone", nil
}

// gates holds the workflow ids whose gate activity may pass; until then
// it fails with an error Restate retries.
var gates sync.Map

func gate(ctx *activities.Context, _ any) (string, error) {
	if _, open := gates.Load(ctx.WorkflowID); !open {
		return "", errors.New("the gate is closed")
	}
	return "passed", nil
}

// start submits a run of definition without waiting for it.
func start(t *testing.T, definition string, input any) string {
	t.Helper()
	id := fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	raw, err := json.Marshal(input)
	require.NoError(t, err)
	_, err = ingress.Workflow[interpreter.RunRequest, json.RawMessage](ingress.NewClient(stack.Restate.IngressURL), interpreter.WorkflowService, id, "Run").
		Send(t.Context(), interpreter.RunRequest{Definition: definition, Input: raw, File: "flow.json"})
	require.NoError(t, err)
	return id
}

// await polls the run's status with one Reader, as `status --watch` does,
// until cond holds, and returns that status.
func await(t *testing.T, reader *runstatus.Reader, id, what string, cond func(*runstatus.Run) bool) *runstatus.Run {
	t.Helper()
	var last *runstatus.Run
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		run, err := reader.Fetch(t.Context(), id)
		if err != nil && !errors.Is(err, runstatus.ErrNotFound) {
			require.NoError(t, err)
		}
		if err == nil {
			last = run
			if cond(run) {
				return run
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	shown, _ := json.MarshalIndent(last, "", "  ")
	t.Fatalf("%s: the status never showed it; last:\n%s", what, shown)
	return nil
}

func isDone(run *runstatus.Run) bool { return run.State == runstatus.Done }

func isFinished(run *runstatus.Run) bool { return run.Finished() }

// post sends body to the ingress.
func post(t *testing.T, path, contentType, body string) {
	t.Helper()
	resp, err := http.Post(stack.Restate.IngressURL+path, contentType, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "POST %s: %s", path, resp.Status)
}

// signal sends a run a signal, as `reaflow signal` does.
func signal(t *testing.T, id, name, payload string) {
	t.Helper()
	post(t, "/"+interpreter.WorkflowService+"/"+id+"/Signal", "application/json", `{"name": "`+name+`", "payload": `+payload+`}`)
}

// states lists the id and state of each step.
func states(steps []runstatus.StepStatus) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.ID+" "+string(s.State))
	}
	return out
}

func TestStatusWaitsForASignal(t *testing.T) {
	id := start(t, `{"name": "approval", "steps": [
	  {"id": "work", "activity": "echo"},
	  {"id": "approval", "await": {"signal": "approve"}, "timeout": "1h"},
	  {"id": "ship", "activity": "echo", "with": "${ steps.approval.output.by }"}
	]}`, nil)
	reader := runstatus.NewReader(stack.Restate)
	run := await(t, reader, id, "waiting", func(r *runstatus.Run) bool { return r.State == runstatus.Waiting })
	assert.Equal(t, "signal approve", run.WaitingFor)
	assert.Equal(t, []string{"work done", "approval waiting", "ship pending"}, states(run.Steps))
	approval := run.Steps[1]
	assert.Equal(t, "await", approval.Kind)
	assert.Equal(t, "signal approve", approval.WaitingFor)
	require.NotNil(t, approval.Deadline, "the step's timeout shows when it expires")
	assert.WithinDuration(t, time.Now().Add(time.Hour), *approval.Deadline, time.Minute)

	signal(t, id, "approve", `{"by": "ada"}`)
	run = await(t, reader, id, "done", isDone)
	assert.Equal(t, []string{"work done", "approval done", "ship done"}, states(run.Steps))
	assert.Empty(t, run.WaitingFor)
}

func TestStatusShowsParallelBranches(t *testing.T) {
	id := start(t, `{"name": "parallel", "steps": [
	  {"id": "both", "parallel": {"branches": {
	    "left":  [{"id": "l1", "activity": "echo"}, {"id": "hold", "await": {"signal": "approve"}}],
	    "right": [{"id": "r1", "activity": "echo"}, {"id": "r2", "activity": "echo"}]
	  }}},
	  {"id": "after", "activity": "echo"}
	]}`, nil)
	reader := runstatus.NewReader(stack.Restate)
	run := await(t, reader, id, "the right branch done, the left one waiting", func(r *runstatus.Run) bool {
		return r.State == runstatus.Waiting && len(r.Steps[0].Branches) == 2 && r.Steps[0].Branches[1].State == runstatus.Done
	})
	assert.Equal(t, "signal approve", run.WaitingFor, "a wait inside a branch is the run's")
	both := run.Steps[0]
	assert.Equal(t, runstatus.Waiting, both.State)
	assert.Equal(t, "child invocations", both.WaitingFor)
	left, right := both.Branches[0], both.Branches[1]
	assert.Equal(t, "left", left.Name)
	assert.Equal(t, runstatus.Waiting, left.State)
	assert.Equal(t, []string{"l1 done", "hold waiting"}, states(left.Steps))
	assert.Equal(t, "signal approve", left.Steps[1].WaitingFor)
	assert.Equal(t, []string{"r1 done", "r2 done"}, states(right.Steps))
	assert.NotEqual(t, left.InvocationID, right.InvocationID)
	assert.Regexp(t, `^inv_`, left.InvocationID)
	assert.Equal(t, runstatus.Pending, run.Steps[1].State)

	signal(t, id, "approve", `true`)
	run = await(t, reader, id, "done", isDone)
	both = run.Steps[0]
	assert.Equal(t, runstatus.Done, both.State)
	assert.Empty(t, both.WaitingFor)
	for _, b := range both.Branches {
		assert.Equal(t, runstatus.Done, b.State, b.Name)
		for _, s := range b.Steps {
			assert.Equal(t, runstatus.Done, s.State, s.ID)
		}
	}
	assert.Equal(t, runstatus.Done, run.Steps[1].State)
}

func TestStatusCountsForeachItems(t *testing.T) {
	items := make([]int, 250)
	for i := range items {
		items[i] = i
	}
	// Two groups of 125 items, each run as child invocations of 100 and
	// 25 items; item 130 waits for a signal.
	id := start(t, `{"name": "foreach", "steps": [
	  {"id": "each", "foreach": {"items": "input.items", "concurrency": 2, "steps": [
	    {"id": "hold", "when": "item == 130", "await": {"signal": "go"}},
	    {"id": "line", "activity": "echo", "with": "${ item }"}
	  ]}}
	]}`, map[string]any{"items": items})
	reader := runstatus.NewReader(stack.Restate)
	run := await(t, reader, id, "130 items done, item 130 waiting", func(r *runstatus.Run) bool {
		c := r.Steps[0].Items
		return r.State == runstatus.Waiting && c != nil && c.Done == 130
	})
	each := run.Steps[0]
	assert.Equal(t, runstatus.Waiting, each.State)
	assert.Equal(t, "child invocations", each.WaitingFor)
	assert.Equal(t, &runstatus.ItemCounts{Total: 250, Done: 130, Running: 1}, each.Items)
	assert.Equal(t, 119, each.Items.Pending())
	assert.Equal(t, "signal go", run.WaitingFor)
	assert.Empty(t, each.Steps, "a foreach shows counts, not its items' steps")

	// One poll: the run's invocation and journal, then one query per
	// level of running children: the second group, and its running block
	// of 100 items. The first group's result counts its items.
	q := &countingQuerier{Querier: stack.Restate}
	_, err := runstatus.NewReader(q).Fetch(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, 4, q.queries)

	signal(t, id, "go", `null`)
	run = await(t, reader, id, "done", isDone)
	assert.Equal(t, &runstatus.ItemCounts{Total: 250, Done: 250}, run.Steps[0].Items)
	assert.Equal(t, runstatus.Done, run.Steps[0].State)
}

func TestStatusNamesTheFailedItem(t *testing.T) {
	id := start(t, `{"name": "foreach-fail", "steps": [
	  {"id": "each", "foreach": {"items": "[1, 2, 3, 4, 5]", "concurrency": 2, "steps": [
	    {"id": "check", "when": "item == 4", "activity": "failWith", "with": {"code": "four"}},
	    {"id": "line", "activity": "echo"}
	  ]}},
	  {"id": "after", "activity": "echo"}
	]}`, nil)
	run := await(t, runstatus.NewReader(stack.Restate), id, "failed", isFinished)
	require.Equal(t, runstatus.Failed, run.State)
	each := run.Steps[0]
	assert.Equal(t, runstatus.Failed, each.State)
	require.NotNil(t, each.Items)
	assert.Equal(t, 5, each.Items.Total)
	assert.Equal(t, 1, each.Items.Failed)
	assert.Equal(t, 3, each.Items.Done, "items 0, 1 and 2 ran; item 4 did not")
	require.Len(t, each.Items.Failures, 1)
	assert.Equal(t, 3, each.Items.Failures[0].Index)
	assert.Contains(t, each.Items.Failures[0].Error, "four: failing with four as asked")
	assert.Regexp(t, `^item 3: step "check" \(activity failWith\) failed: four`, each.Error)
	assert.Equal(t, runstatus.Pending, run.Steps[1].State)
}

func TestStatusOfACompensatedSaga(t *testing.T) {
	id := start(t, `{"name": "saga", "steps": [
	  {"id": "a", "activity": "echo", "compensate": {"activity": "undo"}},
	  {"id": "b", "activity": "echo"},
	  {"id": "each", "foreach": {"items": "[1, 2, 3]", "steps": [
	    {"id": "d", "activity": "echo", "compensate": {"activity": "undo", "with": {"fail": "${ item == 2 }"}}}
	  ]}},
	  {"id": "pay", "activity": "failWith", "with": {"code": "declined"},
	   "catch": [{"errors": ["declined"], "steps": [{"id": "tell", "activity": "echo"}]}]},
	  {"id": "boom", "activity": "failWith", "with": {"code": "broken"}},
	  {"id": "never", "activity": "echo"}
	]}`, nil)
	run := await(t, runstatus.NewReader(stack.Restate), id, "failed", isFinished)
	require.Equal(t, runstatus.Failed, run.State)
	assert.Contains(t, run.Error, "compensated: d[2], d[0], a")
	assert.Equal(t, []string{"a compensated", "b done", "each compensation failed", "pay caught", "boom failed", "never pending"}, states(run.Steps))
	each := run.Steps[2]
	assert.Equal(t, &runstatus.ItemCounts{Total: 3, Done: 3, Compensated: 2, CompensationFailed: 1}, each.Items)
	assert.Equal(t, "item 1: undo_refused: cannot undo this one", each.CompensationError)
	pay := run.Steps[3]
	assert.Equal(t, "declined: failing with declined as asked", pay.Error)
	assert.Equal(t, []string{"tell done"}, states(pay.Handler))
	assert.Equal(t, "broken: failing with broken as asked", run.Steps[4].Error)
}

func TestStatusOfACompensatingRun(t *testing.T) {
	id := start(t, `{"name": "saga-slow", "steps": [
	  {"id": "a", "activity": "echo", "compensate": {"activity": "gate"}},
	  {"id": "b", "activity": "echo", "compensate": {"activity": "undo", "with": {"fail": true}}},
	  {"id": "refuse", "fail": {"error": "refused", "message": "no"}},
	  {"id": "never", "activity": "echo"}
	]}`, nil)
	reader := runstatus.NewReader(stack.Restate)
	// Compensations run in reverse: b's fails, then a's waits at the gate.
	// The run is compensating from the first of them on, so wait for the
	// second.
	run := await(t, reader, id, "compensating a", func(r *runstatus.Run) bool {
		return r.State == runstatus.Compensating && r.Steps[0].State == runstatus.Compensating
	})
	assert.Equal(t, runstatus.Compensating, run.Steps[0].State)
	assert.Equal(t, runstatus.CompensationFailed, run.Steps[1].State)
	assert.Equal(t, "undo_refused: cannot undo this one", run.Steps[1].CompensationError)

	gates.Store(id, true)
	run = await(t, reader, id, "failed", isFinished)
	assert.Equal(t, []string{"a compensated", "b compensation failed", "refuse failed", "never pending"}, states(run.Steps))
	assert.Equal(t, `step "refuse" failed: refused: no`, run.Steps[2].Error, "the fail step's own error, without the compensations")
}

func TestStatusShowsTheCallbackID(t *testing.T) {
	id := start(t, `{"name": "callback", "steps": [
	  {"id": "first", "activity": "echo", "callback": true},
	  {"id": "review", "activity": "echo", "callback": true},
	  {"id": "after", "activity": "echo"}
	]}`, nil)
	reader := runstatus.NewReader(stack.Restate)
	for _, step := range []string{"first", "review"} {
		run := await(t, reader, id, step+" waiting", func(r *runstatus.Run) bool {
			s := r.Steps[0]
			if step == "review" {
				s = r.Steps[1]
			}
			return s.State == runstatus.Waiting
		})
		want, ok := callbacks.Load(id + "/" + step)
		require.True(t, ok, "the activity got its callback id")
		s := run.Steps[0]
		if step == "review" {
			s = run.Steps[1]
		}
		assert.Equal(t, want, s.CallbackID, "status names the callback the activity was given")
		assert.Equal(t, "callback "+want.(string), s.WaitingFor)
		assert.Equal(t, "callback "+want.(string), run.WaitingFor)
		post(t, "/restate/awakeables/"+s.CallbackID+"/resolve", "application/json", `{"ok": true}`)
	}
	run := await(t, reader, id, "done", isDone)
	assert.Equal(t, []string{"first done", "review done", "after done"}, states(run.Steps))
	assert.NotEmpty(t, run.Steps[1].CallbackID)
}

func TestStatusOfSwitchCatchAndSleep(t *testing.T) {
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	id := start(t, `{"name": "mixed", "steps": [
	  {"id": "route", "switch": {
	    "cases": [{"when": "input.big", "steps": [{"id": "big", "activity": "echo"}]}],
	    "default": [{"id": "tag", "set": {"size": "small"}}, {"id": "small", "activity": "echo"}]
	  }},
	  {"id": "nap", "sleep": "1h", "timeout": "300ms",
	   "catch": [{"errors": ["timeout"], "steps": [{"id": "woke", "activity": "echo"}]}]},
	  {"id": "later", "sleep": {"until": "input.until"}}
	]}`, map[string]any{"big": false, "until": until.Format(time.RFC3339)})
	run := await(t, runstatus.NewReader(stack.Restate), id, "sleeping until a time", func(r *runstatus.Run) bool {
		return r.State == runstatus.Waiting && r.Steps[2].State == runstatus.Waiting
	})
	assert.Equal(t, "sleep until "+until.Format(time.RFC3339), run.WaitingFor)
	route := run.Steps[0]
	assert.Equal(t, runstatus.Done, route.State)
	assert.Equal(t, "default", route.Case)
	assert.Equal(t, []string{"tag done", "small done"}, states(route.Steps), "only the chosen case's steps")
	nap := run.Steps[1]
	assert.Equal(t, runstatus.Caught, nap.State)
	assert.Equal(t, "timeout: timed out after 300ms", nap.Error)
	assert.Equal(t, []string{"woke done"}, states(nap.Handler))
	later := run.Steps[2]
	require.NotNil(t, later.Until)
	assert.WithinDuration(t, until, *later.Until, time.Second, "the timer wakes when the step said")
}

func TestStatusOfARetryingBranch(t *testing.T) {
	id := start(t, `{"name": "retry-branch", "steps": [
	  {"id": "both", "parallel": {"branches": {
	    "slow": [{"id": "open", "activity": "gate"}],
	    "fast": [{"id": "quick", "activity": "echo"}]
	  }}}
	]}`, nil)
	reader := runstatus.NewReader(stack.Restate)
	run := await(t, reader, id, "retrying", func(r *runstatus.Run) bool {
		return r.State == runstatus.Retrying && len(r.Steps[0].Branches) == 2 && r.Steps[0].Branches[0].Steps[0].Attempts > 1
	})
	assert.Contains(t, run.Error, "the gate is closed")
	slow := run.Steps[0].Branches[0]
	assert.Equal(t, runstatus.Retrying, slow.State)
	assert.Equal(t, runstatus.Retrying, slow.Steps[0].State)
	assert.Contains(t, slow.Steps[0].Error, "the gate is closed")

	gates.Store(id, true)
	run = await(t, reader, id, "done", isDone)
	assert.Equal(t, []string{"open done"}, states(run.Steps[0].Branches[0].Steps))
}

// countingQuerier counts queries, and those that read child invocations:
// those that read journals or invocations by id and do not name the run's
// own invocation.
type countingQuerier struct {
	runstatus.Querier
	run               string
	mu                sync.Mutex
	queries, children int
}

func (q *countingQuerier) Query(ctx context.Context, sql string) ([]map[string]any, error) {
	q.mu.Lock()
	q.queries++
	byID := strings.Contains(sql, "FROM sys_journal WHERE id IN") || strings.Contains(sql, "FROM sys_invocation WHERE id IN")
	if byID && !strings.Contains(sql, "'"+q.run+"'") {
		q.children++
	}
	q.mu.Unlock()
	return q.Querier.Query(ctx, sql)
}

// Following a run reads the journal of a child invocation only until the
// child has finished.
func TestReaderReadsFinishedChildrenOnce(t *testing.T) {
	id := start(t, `{"name": "children", "steps": [
	  {"id": "both", "parallel": {"branches": {"a": [{"id": "x", "activity": "echo"}], "b": [{"id": "y", "activity": "echo"}]}}},
	  {"id": "each", "foreach": {"items": "[1, 2, 3]", "steps": [{"id": "z", "activity": "echo"}]}}
	]}`, nil)
	done := await(t, runstatus.NewReader(stack.Restate), id, "done", isDone)
	q := &countingQuerier{Querier: stack.Restate, run: done.InvocationID}
	reader := runstatus.NewReader(q)
	first, err := reader.Fetch(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, 1, q.children, "one query for both branches; the foreach's finished block says its counts")
	second, err := reader.Fetch(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, 1, q.children, "finished children are not read again")
	assert.Equal(t, first, second)
	assert.Equal(t, &runstatus.ItemCounts{Total: 3, Done: 3}, second.Steps[1].Items)
}

// When one branch fails, the others are cancelled: their steps in progress
// show it, and a foreach counts the items it did not finish as not run.
func TestStatusOfCancelledBranches(t *testing.T) {
	id := start(t, `{"name": "fail-fast", "steps": [
	  {"id": "both", "parallel": {"branches": {
	    "bad":  [{"id": "pause", "sleep": "500ms"}, {"id": "boom", "activity": "failWith", "with": {"code": "broken"}}],
	    "slow": [{"id": "each", "foreach": {"items": "[1, 2, 3]", "steps": [
	      {"id": "line", "activity": "echo"},
	      {"id": "nap", "when": "item == 2", "sleep": "1h"}
	    ]}}]
	  }}}
	]}`, nil)
	run := await(t, runstatus.NewReader(stack.Restate), id, "failed", isFinished)
	require.Equal(t, runstatus.Failed, run.State)
	both := run.Steps[0]
	assert.Equal(t, runstatus.Failed, both.State)
	assert.Contains(t, both.Error, `step "boom" (activity failWith) failed: broken`)
	bad, slow := both.Branches[0], both.Branches[1]
	assert.Equal(t, runstatus.Failed, bad.State)
	assert.Equal(t, []string{"pause done", "boom failed"}, states(bad.Steps))
	assert.Equal(t, runstatus.Cancelled, slow.State)
	each := slow.Steps[0]
	assert.Equal(t, runstatus.Cancelled, each.State)
	assert.Equal(t, &runstatus.ItemCounts{Total: 3, Done: 1}, each.Items, "item 1 was stopped in its sleep, item 2 never ran")
}

// A workflow step waits for its child run, which has a status of its own.
func TestStatusOfAChildRun(t *testing.T) {
	id := start(t, `{"name": "parent", "steps": [
	  {"id": "sub", "workflow": {"definition": {"name": "child", "steps": [{"id": "hold", "await": {"signal": "go"}}]}}},
	  {"id": "after", "activity": "echo"}
	]}`, nil)
	reader := runstatus.NewReader(stack.Restate)
	run := await(t, reader, id, "waiting for the child", func(r *runstatus.Run) bool { return r.State == runstatus.Waiting })
	sub := run.Steps[0]
	assert.Equal(t, "workflow", sub.Kind)
	assert.Equal(t, id+".sub", sub.ChildRun)
	assert.Equal(t, "child run "+id+".sub", sub.WaitingFor)
	child := await(t, reader, id+".sub", "the child waiting", func(r *runstatus.Run) bool { return r.State == runstatus.Waiting })
	assert.Equal(t, "signal go", child.WaitingFor)

	signal(t, id+".sub", "go", `1`)
	run = await(t, reader, id, "done", isDone)
	assert.Equal(t, []string{"sub done", "after done"}, states(run.Steps))
}

// A listing's runs are read as Fetch reads each, in a few queries for
// them all: one for their journals, one for the lineage of the failed
// ones, one per level of child invocations.
func TestFetchListedReadsTheRunsInAFewQueries(t *testing.T) {
	ids := []string{
		start(t, `{"name": "listed-branches", "steps": [
		  {"id": "both", "parallel": {"branches": {"a": [{"id": "x", "activity": "echo"}], "b": [{"id": "y", "activity": "echo"}]}}}
		]}`, nil),
		start(t, `{"name": "listed-items", "steps": [{"id": "each", "foreach": {"items": "[1, 2, 3]", "steps": [{"id": "z", "activity": "echo"}]}}]}`, nil),
		start(t, `{"name": "listed-failed", "steps": [{"id": "no", "activity": "failWith", "with": {"code": "nope"}}]}`, nil),
		start(t, `{"name": "listed-waiting", "steps": [{"id": "wait", "await": {"signal": "go"}}]}`, nil),
	}
	want := map[string]*runstatus.Run{}
	for i, id := range ids {
		cond := isFinished
		if i == 3 {
			cond = func(r *runstatus.Run) bool { return r.State == runstatus.Waiting }
		}
		want[id] = await(t, runstatus.NewReader(stack.Restate), id, "settled", cond)
	}

	listed, err := runstatus.ListRuns(t.Context(), stack.Restate, runstatus.RunFilter{IDPrefix: t.Name() + "-"}, 10)
	require.NoError(t, err)
	require.Len(t, listed, len(ids))
	q := &countingQuerier{Querier: stack.Restate}
	runs, err := runstatus.NewReader(q).FetchListed(t.Context(), listed)
	require.NoError(t, err)
	assert.Equal(t, 3, q.queries, "journals, lineage, the parallel step's branches")
	for i, run := range runs {
		assert.Equal(t, listed[i].WorkflowID, run.WorkflowID)
		assert.Equal(t, want[run.WorkflowID], run)
	}
}

// Each step that journals something says when it started and ended, from
// the times Restate wrote its entries; one step starts after the one
// before it ended.
func TestStepTimes(t *testing.T) {
	id := start(t, `{"name": "timed", "steps": [
	  {"id": "first", "activity": "echo"},
	  {"id": "label", "set": {"x": 1}},
	  {"id": "nap", "sleep": "50ms"},
	  {"id": "last", "activity": "echo"},
	  {"id": "wait", "await": {"signal": "go"}}
	]}`, nil)
	run := await(t, runstatus.NewReader(stack.Restate), id, "waiting for the signal", func(r *runstatus.Run) bool { return r.Steps[4].State == runstatus.Waiting })
	first, label, nap, last, wait := run.Steps[0], run.Steps[1], run.Steps[2], run.Steps[3], run.Steps[4]
	for _, st := range []runstatus.StepStatus{first, nap, last} {
		require.NotNil(t, st.StartedAt, st.ID)
		require.NotNil(t, st.EndedAt, st.ID)
		assert.False(t, st.EndedAt.Before(*st.StartedAt), st.ID)
		assert.False(t, st.StartedAt.Before(run.CreatedAt.Add(-time.Second)), st.ID)
	}
	assert.Nil(t, label.StartedAt, "a set step journals nothing")
	assert.False(t, nap.StartedAt.Before(*first.EndedAt))
	assert.False(t, last.StartedAt.Before(*nap.EndedAt))
	require.NotNil(t, wait.StartedAt, "the await's promise is journaled")
	assert.Nil(t, wait.EndedAt, "still waiting")

	signal(t, id, "go", `null`)
	run = await(t, runstatus.NewReader(stack.Restate), id, "done", isDone)
	require.NotNil(t, run.Steps[4].EndedAt)
	assert.False(t, run.Steps[4].EndedAt.Before(*run.Steps[4].StartedAt))
}
