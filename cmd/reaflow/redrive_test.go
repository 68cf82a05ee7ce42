package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/rea"
)

// orderInput is an order-fulfillment input whose order id is the run's.
func orderInput(id, customer string) string {
	return fmt.Sprintf(`{"orderId": %q, "customerId": %q, "amount": 42.5, "address": "1 Loop Road, Localhost 127", "email": "ada@example.com", "items": ["keyboard"]}`, id, customer)
}

// orderKeys are the idempotency keys of an order-fulfillment run whose
// lineage starts at root (ship is deduplicated by order id).
func orderKeys(root string) (charge, ship, email string) {
	return rea.IdempotencyKey(root, rea.Step("charge")),
		rea.IdempotencyKey("ship/ship:"+root, rea.Role("dedup")),
		rea.IdempotencyKey(root, rea.Step("notify"))
}

// outputOf is the JSON output a run printed last.
func outputOf(t *testing.T, stdout string) map[string]any {
	t.Helper()
	i := strings.LastIndex(stdout, "\n{")
	require.GreaterOrEqual(t, i, 0, stdout)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout[i+1:]), &out), stdout)
	return out
}

// The outage: charge completes, ship fails after its attempts,
// the run fails. The redrive reuses the charge (no provider call at all),
// ships and emails once, and ends with what a clean run returns.
func TestRedriveAfterAShippingOutage(t *testing.T) {
	id := uniqueID(t)
	chargeKey, shipKey, emailKey := orderKeys(id)
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: shipKey, Times: 5, Status: 503}))
	r := reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", orderInput(id, "cus_ada"), "--id", id, "--wait")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)

	r = reaflow(t, "redrive", id, "--wait")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	redriven := id + "-redrive-1"
	assert.Contains(t, r.stdout, "redrive of "+id+" as "+redriven)
	assert.Regexp(t, `(?m)^  reuse +charge$`, r.stdout)
	assert.Regexp(t, `(?m)^  run +ship$`, r.stdout)
	out := outputOf(t, r.stdout)

	ledger := stack.Sandbox.Ledger()
	require.Len(t, ledger.EffectsFor(chargeKey), 1)
	assert.Equal(t, 1, ledger.Calls[chargeKey], "the reused charge is not called again")
	require.Len(t, ledger.EffectsFor(shipKey), 1)
	require.Len(t, ledger.EffectsFor(emailKey), 1)
	assert.Equal(t, map[string]any{
		"orderId":  id,
		"chargeId": ledger.EffectsFor(chargeKey)[0].ObjectID,
		"tracking": out["tracking"],
		"emailId":  ledger.EffectsFor(emailKey)[0].ObjectID,
	}, out)
	assert.NotEmpty(t, out["tracking"])

	// Lineage, both ways.
	r = reaflow(t, "status", id)
	assert.Contains(t, r.stdout, "redriven as "+redriven)
	r = reaflow(t, "status", redriven)
	assert.Contains(t, r.stdout, "redrive of "+id)

	// Refusals: a run already redriven, and a completed one.
	r = reaflow(t, "redrive", id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "run "+id+" is already redriven as "+redriven+" (done); redrive that run instead")
	r = reaflow(t, "redrive", redriven)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "run "+redriven+" completed; there is nothing to redrive")
	r = reaflow(t, "redrive", "no-such-run-"+id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "a finished run is kept for the redrive window")
}

// The provider applied the charge, but every answer was lost until the
// step's retries ran out. The redrive sends the original key again, so
// the provider answers with the stored charge instead of charging twice.
func TestRedriveAfterALostAnswerAppliesNoSecondEffect(t *testing.T) {
	id := uniqueID(t)
	chargeKey, shipKey, _ := orderKeys(id)
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: chargeKey, Times: 5, AfterEffect: true}))
	r := reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", orderInput(id, "cus_ada"), "--id", id, "--wait")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	require.Len(t, stack.Sandbox.Ledger().EffectsFor(chargeKey), 1, "the provider applied the charge")

	r = reaflow(t, "redrive", id, "--wait")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	out := outputOf(t, r.stdout)
	ledger := stack.Sandbox.Ledger()
	require.Len(t, ledger.EffectsFor(chargeKey), 1, "no second charge")
	assert.Equal(t, ledger.EffectsFor(chargeKey)[0].ObjectID, out["chargeId"])
	assert.Len(t, ledger.EffectsFor(shipKey), 1)
}

// A declined card is a refusal the provider stores under the key: the
// redrive charges under a key of its own, and succeeds once the card is
// good.
func TestRedriveAfterARefusalUsesANewKey(t *testing.T) {
	id := uniqueID(t)
	chargeKey, _, _ := orderKeys(id)
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: chargeKey, Decline: true}))
	r := reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", orderInput(id, "cus_ada"), "--id", id, "--wait")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)

	r = reaflow(t, "redrive", id, "--wait")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `(?m)^  run +charge  new keys for 1$`, r.stdout)
	newKey := rea.IdempotencyKey(id, rea.Step("charge"), rea.Role("redrive"), rea.Index(1))
	ledger := stack.Sandbox.Ledger()
	require.Len(t, ledger.EffectsFor(chargeKey), 1)
	assert.False(t, ledger.EffectsFor(chargeKey)[0].Succeeded())
	require.Len(t, ledger.EffectsFor(newKey), 1)
	assert.Equal(t, ledger.EffectsFor(newKey)[0].ObjectID, outputOf(t, r.stdout)["chargeId"])
}

// A run still running cannot be redriven.
func TestRedriveRefusesARunningRun(t *testing.T) {
	id := uniqueID(t)
	definition := writeFile(t, "slow.json", `{"name": "slow", "steps": [{"id": "nap", "sleep": "1m"}]}`)
	r := reaflow(t, "submit", definition, "--id", id)
	require.Equal(t, 0, r.code, r.stderr)
	r = reaflow(t, "redrive", id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "run "+id+" is still")
	assert.Contains(t, r.stderr, "wait for it to fail, or cancel it first")
	reaflow(t, "cancel", id)
}
