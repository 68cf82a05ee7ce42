package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
)

// unknownCallback is a well-formed callback id whose invocation no server
// has.
const unknownCallback = "sign_1RCe1_hD6h8yX1HTn9tGjdyvFGDSI3qvdeXbDuQ"

func TestControlUsage(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{name: "signal without arguments", args: []string{"signal"}, stderr: "name the run id and the signal"},
		{name: "signal without a name", args: []string{"signal", "run-1"}, stderr: "name the run id and the signal"},
		{name: "signal with too many arguments", args: []string{"signal", "run-1", "approval", "{}", "{}"}, stderr: "name the run id and the signal"},
		{name: "signal to a bad id", args: []string{"signal", "a/b", "approval"}, stderr: `the id "a/b" has the character '/'`},
		{name: "signal with an empty name", args: []string{"signal", "run-1", ""}, stderr: "the signal name is empty"},
		{name: "resolve without an id", args: []string{"resolve"}, stderr: "name the callback id"},
		{name: "resolve with too many arguments", args: []string{"resolve", unknownCallback, "1", "2"}, stderr: "name the callback id"},
		{name: "resolve with an empty id", args: []string{"resolve", ""}, stderr: "the callback id is empty"},
		{name: "reject without a message", args: []string{"reject", unknownCallback}, stderr: "name the callback id and the message"},
		{name: "reject with a blank message", args: []string{"reject", unknownCallback, "  "}, stderr: "the message is empty"},
		{name: "cancel without an id", args: []string{"cancel"}, stderr: "name exactly one workflow id"},
		{name: "cancel of two ids", args: []string{"cancel", "a", "b"}, stderr: "name exactly one workflow id"},
		{name: "unknown flag", args: []string{"cancel", "--wiat", "a"}, stderr: "flag provided but not defined: -wiat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reaflow(t, c.args...)
			assert.Equal(t, exitUsage, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, c.stderr)
			assert.Contains(t, r.stderr, "Run 'reaflow "+c.args[0]+" --help' for usage.")
		})
	}
	for _, name := range []string{"signal", "resolve", "reject", "cancel"} {
		r := reaflow(t, name, "--help")
		assert.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stderr, "Usage:\n  reaflow "+name+" ")
		assert.Contains(t, r.stderr, "Example:\n  reaflow "+name+" ")
		r = reaflow(t, "--help")
		assert.Regexp(t, `(?m)^  `+name+` +\S`, r.stdout, "the command list names %s", name)
	}
}

// submitHangingRun starts a run whose one step keeps failing with 503, and
// returns its id.
func submitHangingRun(t *testing.T) string {
	t.Helper()
	id := uniqueID(t)
	customer := "cus_hang_" + id
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{Customer: customer, Status: 503}))
	definition := writeFile(t, "hang.json", `{"name": "hang", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 3, "customer": "`+customer+`"}}
	]}`)
	r := reaflow(t, "submit", definition, "--id", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	return id
}

// A run whose step never succeeds is cancelled: it ends failed with
// Restate's cancellation, and a second cancel or a signal says it is over.
func TestCancelARunInFlight(t *testing.T) {
	id := submitHangingRun(t)
	require.Eventually(t, func() bool {
		run, err := runstatus.Fetch(t.Context(), stack.Restate, id)
		return err == nil && run.State == runstatus.Retrying
	}, 10*time.Second, 50*time.Millisecond, "the charge step retries")

	// A run with no await step refuses any signal.
	r := reaflow(t, "signal", id, "approval", `{"approved": true}`)
	assert.Equal(t, exitFailed, r.code, r.stdout)
	assert.Contains(t, r.stderr, `reaflow signal: signal "approval" not delivered to run `+id+": ")

	r = reaflow(t, "cancel", "--wait", id)
	require.Equal(t, exitOK, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "cancelling run "+id+" (invocation inv_")
	assert.Regexp(t, `(?m)^run `+id+` cancelled: .*(?i:cancel)`, r.stdout)

	r = reaflow(t, "status", "--json", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	var run runstatus.Run
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &run))
	assert.Equal(t, runstatus.Failed, run.State)
	assert.Regexp(t, `(?i)cancel`, run.Error)
	assert.Equal(t, "completed", run.RestateStatus)

	r = reaflow(t, "cancel", id)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "run "+id+" has already finished (failed); there is nothing to cancel")

	r = reaflow(t, "signal", id, "approval")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, `signal "approval" not delivered to run `+id+": the run has already finished (failed)")
}

func TestCancelWithoutWait(t *testing.T) {
	id := submitHangingRun(t)
	require.Eventually(t, func() bool {
		_, err := runstatus.Fetch(t.Context(), stack.Restate, id)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)

	r := reaflow(t, "cancel", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "follow it with 'reaflow status --watch "+id+"'")
	require.Eventually(t, func() bool {
		run, err := runstatus.Fetch(t.Context(), stack.Restate, id)
		return err == nil && run.State == runstatus.Failed
	}, 10*time.Second, 50*time.Millisecond, "the run ends")
}

func TestCancelUnknownRun(t *testing.T) {
	waitForPartitions(t)
	r := reaflow(t, "cancel", "no-such-run")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, `reaflow cancel: no such run "no-such-run"; nothing was cancelled`)

	r = reaflow(t, "cancel", "some-run", "--admin", "http://127.0.0.1:1")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "is not reachable (start one with 'reaflow dev'")
}

func TestSignalErrors(t *testing.T) {
	waitForPartitions(t)
	r := reaflow(t, "signal", "no-such-run", "approval", `{"approved": true}`)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, `reaflow signal: signal "approval" not delivered to run no-such-run: there is no such run`)

	r = reaflow(t, "signal", "no-such-run", "approval", "{approved: true}")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "the payload is not valid JSON")

	r = reaflow(t, "signal", "no-such-run", "approval", "@missing.json")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "missing.json")

	r = reaflow(t, "signal", "some-run", "approval", "--ingress", "http://127.0.0.1:1", "--admin", "http://127.0.0.1:1")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "is not reachable (start one with 'reaflow dev'")
}

// callbackWaiter is a service whose handler creates a callback, reports
// its id with the handler's invocation id, and returns what the callback
// is completed with.
func callbackWaiter(ids chan<- [2]string) restate.ServiceDefinition {
	return restate.NewService("CallbackWaiter").Handler("Wait", restate.NewServiceHandler(
		func(ctx restate.Context, _ restate.Void) (json.RawMessage, error) {
			callback := restate.Awakeable[json.RawMessage](ctx)
			// Reported from a journaled step, so a replay does not report again.
			if _, err := restate.Run(ctx, func(restate.RunContext) (restate.Void, error) {
				ids <- [2]string{ctx.Request().ID, callback.Id()}
				return restate.Void{}, nil
			}); err != nil {
				return nil, err
			}
			return callback.Result()
		}))
}

// resolve and reject complete a real callback, and refuse one whose
// invocation is over or unknown.
func TestResolveAndRejectACallback(t *testing.T) {
	ids := make(chan [2]string, 1)
	restatetest.Deploy(t, stack.Restate, callbackWaiter(ids))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start := func() (ingress.SendResponse[json.RawMessage], string) {
		t.Helper()
		sent, err := ingress.Service[restate.Void, json.RawMessage](ingress.NewClient(stack.Restate.IngressURL), "CallbackWaiter", "Wait").
			Send(ctx, restate.Void{})
		require.NoError(t, err)
		select {
		case got := <-ids:
			require.Equal(t, sent.Id(), got[0])
			require.Equal(t, got[0], runstatus.CallbackInvocation(got[1]), "the callback id %s names its invocation", got[1])
			return sent, got[1]
		case <-ctx.Done():
			t.Fatal("no callback was created")
			return nil, ""
		}
	}

	sent, id := start()
	r := reaflow(t, "resolve", id, `{"status": "paid", "amount": 42}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "resolved callback "+id+" of invocation "+sent.Id()+" (CallbackWaiter/Wait)\n", r.stdout)
	out, err := sent.Attach(ctx)
	require.NoError(t, err)
	assert.JSONEq(t, `{"status": "paid", "amount": 42}`, string(out))

	r = reaflow(t, "resolve", id, "true")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "reaflow resolve: callback "+id+" not resolved: invocation "+sent.Id()+" (CallbackWaiter/Wait) has already finished (done)")

	sent, id = start()
	r = reaflow(t, "reject", id, "payment expired")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "rejected callback "+id+" of invocation "+sent.Id()+" (CallbackWaiter/Wait)\n", r.stdout)
	_, err = sent.Attach(ctx)
	require.True(t, restate.IsTerminalError(err), "%v", err)
	assert.Equal(t, "payment expired", restate.AsTerminalError(err).Message())

	// Without a value, a callback is resolved with null.
	sent, id = start()
	r = reaflowWithStdin(t, nil, "resolve", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	out, err = sent.Attach(ctx)
	require.NoError(t, err)
	assert.Equal(t, "null", string(out))
}

func TestResolveAndRejectErrors(t *testing.T) {
	waitForPartitions(t)
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{name: "malformed id", args: []string{"resolve", "approval-1", "{}"},
			stderr: "reaflow resolve: callback approval-1 not resolved: bad awakeable id 'approval-1': bad format (a callback id looks like sign_1"},
		{name: "malformed id, reject", args: []string{"reject", "approval-1", "expired"},
			stderr: "reaflow reject: callback approval-1 not rejected: bad awakeable id"},
		{name: "unknown id", args: []string{"resolve", unknownCallback, "{}"},
			stderr: "callback " + unknownCallback + " not resolved: Restate knows no run that waits for it"},
		{name: "unknown id, reject", args: []string{"reject", unknownCallback, "expired"},
			stderr: "callback " + unknownCallback + " not rejected: Restate knows no run that waits for it"},
		{name: "value is not JSON", args: []string{"resolve", unknownCallback, "{status: paid}"},
			stderr: "the value is not valid JSON"},
		{name: "no ingress", args: []string{"resolve", "approval-1", "--ingress", "http://127.0.0.1:1"},
			stderr: "is not reachable (start one with 'reaflow dev'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reaflow(t, c.args...)
			assert.Equal(t, exitFailed, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, c.stderr)
			assert.Empty(t, r.stdout)
		})
	}

	// Without the admin API nothing can be checked: the ingress accepts the
	// completion, and the CLI says what it could not check.
	r := reaflow(t, "resolve", unknownCallback, "--admin", "http://127.0.0.1:1")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "reaflow: could not check that anything waits for callback "+unknownCallback+": ")
	assert.Equal(t, "resolved callback "+unknownCallback+"\n", r.stdout)
}

// waitForPartitions waits until every partition of the shared server
// answers queries, so that looking up an unknown id finds nothing rather
// than failing on a partition still starting.
func waitForPartitions(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, err := stack.Restate.Query(t.Context(), "SELECT count(*) FROM sys_invocation")
		return err == nil
	}, 30*time.Second, 50*time.Millisecond)
}
