package main

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/restateserver"
	"github.com/reaflow/reaflow/internal/restateserver/restatetest"
	"github.com/reaflow/reaflow/internal/sandbox"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// crashDefinition has three plain activity steps, so every provider key is
// derived from the workflow id and the step id.
const crashDefinition = `{
  "name": "crash",
  "steps": [
    {"id": "charge", "activity": "charge", "with": {"amount": 12, "customer": "cus_crash"}},
    {"id": "ship", "activity": "ship", "with": {"orderId": "${ workflow.id }", "address": "1 Loop Road"}},
    {"id": "notify", "activity": "email", "with": {"to": "a@example.com", "subject": "shipped", "body": "${ steps.ship.output.trackingNumber }"}}
  ],
  "output": {"charge": "${ steps.charge.output.id }", "tracking": "${ steps.ship.output.trackingNumber }"}
}`

// crashRig is a restate-server, a sandbox, and a reaflow endpoint running
// as a separate process that the test can SIGKILL and start again on the
// same address.
type crashRig struct {
	t          *testing.T
	server     *restateserver.Server
	providers  *sandbox.Sandbox
	sandboxURL string
	listen     string
	endpoint   *exec.Cmd
}

func newCrashRig(t *testing.T) *crashRig {
	r := &crashRig{t: t, server: restatetest.StartForTest(t), providers: sandbox.New()}
	var err error
	r.sandboxURL, err = r.providers.Start(t.Context(), "")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r.listen = ln.Addr().String()
	require.NoError(t, ln.Close())
	r.startEndpoint()
	t.Cleanup(r.killEndpoint)
	require.NoError(t, r.server.RegisterDeployment(t.Context(), "http://"+r.listen))
	return r
}

func (r *crashRig) startEndpoint() {
	r.t.Helper()
	cmd := exec.Command(reaflowBin, "serve", "--listen", r.listen,
		"--payments-url", r.sandboxURL+"/payments", "--shipping-url", r.sandboxURL+"/shipping", "--email-url", r.sandboxURL+"/email",
		"--travel-url", r.sandboxURL+"/travel")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(r.t, cmd.Start())
	r.endpoint = cmd
	require.Eventually(r.t, func() bool {
		conn, err := net.Dial("tcp", r.listen)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "endpoint listens on %s", r.listen)
}

// killEndpoint SIGKILLs the endpoint process and waits until it is gone.
func (r *crashRig) killEndpoint() {
	if r.endpoint == nil {
		return
	}
	_ = r.endpoint.Process.Kill()
	_ = r.endpoint.Wait()
	r.endpoint = nil
}

func (r *crashRig) submit(id string) {
	r.t.Helper()
	_, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](ingress.NewClient(r.server.IngressURL), interpreter.WorkflowService, id, "Run").
		Send(r.t.Context(), interpreter.RunRequest{Definition: crashDefinition})
	require.NoError(r.t, err)
}

func (r *crashRig) attach(id string) map[string]string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), time.Minute)
	defer cancel()
	out, err := ingress.WorkflowHandle[json.RawMessage](ingress.NewClient(r.server.IngressURL), interpreter.WorkflowService, id).Attach(ctx)
	require.NoError(r.t, err)
	var result map[string]string
	require.NoError(r.t, json.Unmarshal(out, &result))
	return result
}

// assertOneEffectPerStep checks the ledger: every step's key has exactly
// one applied effect, and the raw calls per key are as given.
func (r *crashRig) assertOneEffectPerStep(id string, calls map[string]func(int) bool) {
	r.t.Helper()
	ledger := r.providers.Ledger()
	for _, step := range []string{"charge", "ship", "notify"} {
		key := rea.IdempotencyKey(id, rea.Step(step))
		assert.Len(r.t, ledger.EffectsFor(key), 1, "effects of step %s", step)
		assert.True(r.t, calls[step](ledger.Calls[key]), "raw calls of step %s: %d", step, ledger.Calls[key])
	}
	assert.Equal(r.t, 3, ledger.Totals.Succeeded, "no effect without a step behind it")
}

func exactly(n int) func(int) bool { return func(got int) bool { return got == n } }
func atLeast(n int) func(int) bool { return func(got int) bool { return got >= n } }

// The endpoint dies while the charge is in flight, after the provider
// applied it but before the answer reached the journal. The restarted
// endpoint replays, runs the step again with the same key, and the
// provider answers from its record: one charge.
func TestCrashAfterEffectBeforeJournal(t *testing.T) {
	r := newCrashRig(t)
	id := "crash-in-flight-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	chargeKey := rea.IdempotencyKey(id, rea.Step("charge"))
	require.NoError(t, r.providers.AddFaults(sandbox.FaultRule{IdempotencyKey: chargeKey, Times: 1, HoldAfterEffect: sandbox.Duration(20 * time.Second)}))

	r.submit(id)
	require.Eventually(t, func() bool { return len(r.providers.Ledger().EffectsFor(chargeKey)) == 1 },
		20*time.Second, 5*time.Millisecond, "the charge was applied and its answer is held")
	r.killEndpoint()
	r.startEndpoint()

	out := r.attach(id)
	assert.Equal(t, r.providers.Ledger().EffectsFor(chargeKey)[0].ObjectID, out["charge"], "the run got the first charge's answer")
	r.assertOneEffectPerStep(id, map[string]func(int) bool{"charge": atLeast(2), "ship": exactly(1), "notify": exactly(1)})
}

// The endpoint dies after the charge is journaled and while the next step
// waits on its provider. The restarted endpoint replays the charge from the
// journal without calling the provider again.
func TestCrashBetweenSteps(t *testing.T) {
	r := newCrashRig(t)
	id := "crash-between-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	shipKey := rea.IdempotencyKey(id, rea.Step("ship"))
	require.NoError(t, r.providers.AddFaults(sandbox.FaultRule{IdempotencyKey: shipKey, Times: 1, Latency: sandbox.Duration(3 * time.Second)}))

	r.submit(id)
	require.Eventually(t, func() bool { return r.providers.Ledger().Calls[shipKey] == 1 },
		20*time.Second, 5*time.Millisecond, "the charge is done and ship has been called")
	r.killEndpoint()
	r.startEndpoint()

	r.attach(id)
	r.assertOneEffectPerStep(id, map[string]func(int) bool{"charge": exactly(1), "ship": atLeast(1), "notify": exactly(1)})
}
