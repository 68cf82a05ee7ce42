package main

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
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
	r.submitDefinition(id, crashDefinition, "")
}

// submitDefinition starts a run of definition with input (JSON text).
func (r *crashRig) submitDefinition(id, definition, input string) {
	r.t.Helper()
	_, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](ingress.NewClient(r.server.IngressURL), interpreter.WorkflowService, id, "Run").
		Send(r.t.Context(), interpreter.RunRequest{Definition: definition, Input: json.RawMessage(input)})
	require.NoError(r.t, err)
}

func (r *crashRig) attach(id string) map[string]string {
	r.t.Helper()
	out, err := r.result(id)
	require.NoError(r.t, err)
	var result map[string]string
	require.NoError(r.t, json.Unmarshal(out, &result))
	return result
}

// result waits for the run's output or failure.
func (r *crashRig) result(id string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(r.t.Context(), time.Minute)
	defer cancel()
	return ingress.WorkflowHandle[json.RawMessage](ingress.NewClient(r.server.IngressURL), interpreter.WorkflowService, id).Attach(ctx)
}

// killWhile SIGKILLs the endpoint once cond holds, and starts it again.
func (r *crashRig) killWhile(what string, cond func() bool) {
	r.t.Helper()
	require.Eventually(r.t, cond, 20*time.Second, 5*time.Millisecond, what)
	r.killEndpoint()
	r.startEndpoint()
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

func readExample(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("../../workflows/" + name)
	require.NoError(t, err)
	return string(data)
}

// The endpoint dies while the saga undoes the hotel booking, after the
// provider cancelled it but before the answer reached the journal. The
// restarted endpoint finishes the compensations: each booking is cancelled
// exactly once, in reverse order, and the deposit refunded once.
func TestCrashDuringCompensation(t *testing.T) {
	r := newCrashRig(t)
	id := "crash-saga-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	undoHotel := rea.IdempotencyKey(id, rea.Step("hotel"), rea.Role("compensate"))
	require.NoError(t, r.providers.AddFaults(sandbox.FaultRule{IdempotencyKey: undoHotel, Times: 1, HoldAfterEffect: sandbox.Duration(20 * time.Second)}))

	r.submitDefinition(id, readExample(t, "trip-booking.json"), tripInput(id, "sold-out-suv"))
	r.killWhile("the hotel's cancellation was applied and its answer is held", func() bool {
		return len(r.providers.Ledger().EffectsFor(undoHotel)) == 1
	})
	_, err := r.result(id)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "compensated: hotel, flight, deposit")

	ledger := r.providers.Ledger()
	_, undo, order := sagaEffects(ledger, id)
	assert.Equal(t, []string{"deposit", "flight", "hotel", "car", "tellSoldOut", "undo hotel", "undo flight", "undo deposit"}, order)
	for _, step := range []string{"deposit", "flight", "hotel"} {
		assert.Len(t, undo[step], 1, "compensations of %s", step)
	}
	assert.GreaterOrEqual(t, ledger.Calls[undoHotel], 2, "the cancellation was sent again with its key after the crash")
}

// The endpoint dies while one foreach item of a parallel branch waits for
// its provider's held answer. After the restart, every item's shipment,
// the charge and the receipt are each applied exactly once.
func TestCrashDuringParallelForeach(t *testing.T) {
	r := newCrashRig(t)
	id := "crash-fanout-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	itemKey := func(i int) string { return rea.IdempotencyKey(id, rea.Step("lines"), rea.Index(i), rea.Step("ship")) }
	require.NoError(t, r.providers.AddFaults(sandbox.FaultRule{IdempotencyKey: itemKey(2), Times: 1, HoldAfterEffect: sandbox.Duration(20 * time.Second)}))

	r.submitDefinition(id, readExample(t, "order-approval.json"), orderApprovalInput(id, 20))
	r.killWhile("item 2 was shipped and its answer is held", func() bool {
		return len(r.providers.Ledger().EffectsFor(itemKey(2))) == 1
	})
	out, err := r.result(id)
	require.NoError(t, err)
	var result struct {
		Tracking []string `json:"tracking"`
	}
	require.NoError(t, json.Unmarshal(out, &result))
	require.Len(t, result.Tracking, 4)

	ledger := r.providers.Ledger()
	for i := range 4 {
		effects := ledger.EffectsFor(itemKey(i))
		require.Len(t, effects, 1, "effects of item %d", i)
		assert.Equal(t, result.Tracking[i], trackingOf(t, effects[0]), "item %d kept its first shipment", i)
	}
	assert.GreaterOrEqual(t, ledger.Calls[itemKey(2)], 2)
	assert.Len(t, ledger.EffectsFor(rea.IdempotencyKey(id, rea.Step("charge"))), 1)
	assert.Len(t, ledger.EffectsFor(rea.IdempotencyKey(id, rea.Step("receipt"))), 1)
	assert.Equal(t, 6, ledger.Totals.Succeeded, "no effect without a step behind it")
}

// trackingOf reads the tracking number the shipping provider answered.
func trackingOf(t *testing.T, e sandbox.Effect) string {
	t.Helper()
	require.Contains(t, e.Summary, "TRK")
	for _, f := range strings.Fields(e.Summary) {
		if strings.HasPrefix(f, "TRK") {
			return strings.Trim(f, ",.;()")
		}
	}
	return ""
}

// redriveDefinition fails at ship when its provider is down, and has three
// more steps after it for a redrive to run.
const redriveDefinition = `{
  "name": "crash-redrive",
  "steps": [
    {"id": "charge", "activity": "charge", "with": {"amount": 12, "customer": "cus_crash"}},
    {"id": "ship", "activity": "ship", "with": {"orderId": "${ workflow.id }", "address": "1 Loop Road"},
     "retry": {"maxAttempts": 2, "initialInterval": "10ms"}},
    {"id": "notify", "activity": "email", "with": {"to": "a@example.com", "subject": "shipped", "body": "${ steps.ship.output.trackingNumber }"}},
    {"id": "invoice", "activity": "charge", "with": {"amount": 3, "customer": "cus_crash"}},
    {"id": "receipt", "activity": "email", "with": {"to": "a@example.com", "subject": "receipt", "body": "${ steps.invoice.output.id }"}}
  ],
  "output": {"charge": "${ steps.charge.output.id }", "tracking": "${ steps.ship.output.trackingNumber }",
    "notify": "${ steps.notify.output.id }", "invoice": "${ steps.invoice.output.id }", "receipt": "${ steps.receipt.output.id }"}
}`

// The shipping provider is down until the run fails at ship; the redrive
// reuses the charge and runs the four steps left, and the endpoint is
// SIGKILLed twice during it: once after the provider applied notify but
// before its answer reached the journal, once while invoice waits for its
// provider. The redrive ends with the output a clean run has, every step's
// key has exactly one effect, and the reused charge was never called again.
func TestCrashDuringRedrive(t *testing.T) {
	r := newCrashRig(t)
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	id := "crash-redrive-" + stamp
	key := func(step string) string { return rea.IdempotencyKey(id, rea.Step(step)) }
	require.NoError(t, r.providers.AddFaults(sandbox.FaultRule{IdempotencyKey: key("ship"), Times: 2, Status: 503}))
	r.submitDefinition(id, redriveDefinition, "")
	_, err := r.result(id)
	require.Error(t, err, "the run fails at ship")
	ledger := r.providers.Ledger()
	require.Len(t, ledger.EffectsFor(key("charge")), 1)
	require.Empty(t, ledger.EffectsFor(key("ship")))

	require.NoError(t, r.providers.AddFaults(
		sandbox.FaultRule{IdempotencyKey: key("notify"), Times: 1, HoldAfterEffect: sandbox.Duration(20 * time.Second)},
		sandbox.FaultRule{IdempotencyKey: key("invoice"), Times: 1, Latency: sandbox.Duration(3 * time.Second)}))
	c, err := client.New(r.server.IngressURL, r.server.AdminURL)
	require.NoError(t, err)
	plan, err := c.Redrive(t.Context(), id, client.RedriveOptions{})
	require.NoError(t, err)
	require.Equal(t, id+"-redrive-1", plan.ID)
	r.killWhile("notify was applied and its answer is held", func() bool {
		return len(r.providers.Ledger().EffectsFor(key("notify"))) == 1
	})
	r.killWhile("invoice has been called", func() bool {
		return r.providers.Ledger().Calls[key("invoice")] >= 1
	})
	out := r.attach(plan.ID)

	ledger = r.providers.Ledger()
	steps := []string{"charge", "ship", "notify", "invoice", "receipt"}
	want := map[string]string{"tracking": trackingOf(t, ledger.EffectsFor(key("ship"))[0])}
	for _, step := range steps {
		effects := ledger.EffectsFor(key(step))
		require.Len(t, effects, 1, "effects of step %s", step)
		assert.True(t, effects[0].Succeeded(), "step %s", step)
		if step != "ship" {
			want[step] = effects[0].ObjectID
		}
	}
	assert.Equal(t, want, out, "the redrive's output is made of the one effect of each step")
	assert.Equal(t, 1, ledger.Calls[key("charge")], "the reused charge is not called again")
	assert.GreaterOrEqual(t, ledger.Calls[key("notify")], 2, "notify was sent again with its key after the crash")
	assert.Equal(t, len(steps), ledger.Totals.Succeeded, "no effect without a step behind it")

	// A clean run of the definition has the same output, made the same way.
	clean := "crash-redrive-clean-" + stamp
	r.submitDefinition(clean, redriveDefinition, "")
	cleanOut := r.attach(clean)
	assert.ElementsMatch(t, slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(cleanOut)))
	for field, value := range cleanOut {
		assert.NotEmpty(t, value, field)
	}
}
