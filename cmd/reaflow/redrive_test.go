package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
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
	assert.Regexp(t, `(?m)^  done  charge  activity charge, reused: the redriven run's output$`, r.stdout)
	assert.Regexp(t, `(?m)^  done  ship    activity ship$`, r.stdout)

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

// A foreach of 1,000 items where 3 fail: the redrive runs exactly the
// items that had not completed (the failed ones, and those the failure
// cancelled), each effect stays single, and the reuse data travels with
// the groups of items that need it.
func TestRedriveAForeachRunsOnlyTheItemsNotCompleted(t *testing.T) {
	id := uniqueID(t)
	const n = 1000
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("%q", fmt.Sprintf("cus_%d", i))
	}
	definition := writeFile(t, "lines.json", `{"name": "lines", "steps": [
	  {"id": "lines", "foreach": {"items": "input.customers", "concurrency": 10, "steps": [
	    {"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "${ item }"},
	     "retry": {"maxAttempts": 2, "initialInterval": "10ms"}}
	  ]}}
	]}`)
	key := func(i int) string {
		return rea.IdempotencyKey(id, rea.Step("lines"), rea.Index(i), rea.Step("charge"))
	}
	for _, i := range []int{150, 550, 950} {
		require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: key(i), Times: 2, Status: 503}))
	}
	r := reaflow(t, "submit", definition, "--input", `{"customers": [`+strings.Join(items, ",")+`]}`, "--id", id, "--wait")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stderr, "failed", r.stdout+r.stderr)
	// The provider is back. (The failure cancelled the other groups, so
	// some failing items may not have used up their faults.)
	stack.Sandbox.ClearFaults()
	before := stack.Sandbox.Ledger()
	completed := 0
	for i := range n {
		for _, e := range before.EffectsFor(key(i)) {
			if e.Succeeded() {
				completed++
			}
		}
	}

	r = reaflow(t, "redrive", id, "--wait")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	var reused int
	_, err := fmt.Sscanf(r.stdout[strings.Index(r.stdout, "lines/charge")+len("lines/charge"):], "%d items reused", &reused)
	require.NoError(t, err, r.stdout)
	assert.LessOrEqual(t, reused, completed, "only items that completed are reused")
	assert.Positive(t, reused)

	after := stack.Sandbox.Ledger()
	calls := 0
	for i := range n {
		calls += after.Calls[key(i)] - before.Calls[key(i)]
		effects := after.EffectsFor(key(i))
		require.Len(t, effects, 1, "item %d", i)
		assert.True(t, effects[0].Succeeded(), "item %d", i)
	}
	assert.Equal(t, n-reused, calls, "the redrive calls exactly the items it does not reuse")
	assert.Len(t, outputOf(t, r.stdout)["lines"], n)
}

// A parallel step with one failed branch: the redrive reruns only that
// branch.
func TestRedriveAParallelRunsOnlyTheFailedBranch(t *testing.T) {
	id := uniqueID(t)
	definition := writeFile(t, "fanout.json", `{"name": "fanout", "steps": [
	  {"id": "both", "parallel": {"branches": {
	    "pay": [{"id": "pay", "activity": "charge", "with": {"amount": 2, "customer": "cus_ada"}}],
	    "send": [{"id": "send", "activity": "ship", "with": {"orderId": "${ workflow.id }", "address": "1 Loop Road"},
	      "retry": {"maxAttempts": 2, "initialInterval": "10ms"}}]
	  }}}
	]}`)
	payKey, sendKey := rea.IdempotencyKey(id, rea.Step("pay")), rea.IdempotencyKey(id, rea.Step("send"))
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: sendKey, Times: 2, Status: 503}))
	r := reaflow(t, "submit", definition, "--id", id, "--wait")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	require.Len(t, stack.Sandbox.Ledger().EffectsFor(payKey), 1)

	r = reaflow(t, "redrive", id, "--wait")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `(?m)^  reuse +both/pay$`, r.stdout)
	ledger := stack.Sandbox.Ledger()
	assert.Equal(t, 1, ledger.Calls[payKey], "the completed branch is not run again")
	assert.Len(t, ledger.EffectsFor(sendKey), 1)
}

// --from reruns a completed step and what follows, with new keys; what
// comes before it is reused.
func TestRedriveFromAnEarlierStep(t *testing.T) {
	id := uniqueID(t)
	definition := writeFile(t, "three.json", `{"name": "three", "steps": [
	  {"id": "hello", "activity": "email", "with": {"to": "ada@example.com", "subject": "hi"}},
	  {"id": "pay", "activity": "charge", "with": {"amount": 3, "customer": "cus_ada"}},
	  {"id": "send", "activity": "ship", "with": {"orderId": "${ workflow.id }", "address": "1 Loop Road"}, "retry": {"maxAttempts": 1}}
	]}`)
	helloKey, payKey, sendKey := rea.IdempotencyKey(id, rea.Step("hello")), rea.IdempotencyKey(id, rea.Step("pay")), rea.IdempotencyKey(id, rea.Step("send"))
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: sendKey, Times: 1, Status: 503}))
	r := reaflow(t, "submit", definition, "--id", id, "--wait")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)

	r = reaflow(t, "redrive", id, "--from", "pay", "--wait")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `(?m)^  reuse +hello$`, r.stdout)
	assert.Regexp(t, `(?m)^  run +pay  new keys for 1$`, r.stdout)
	ledger := stack.Sandbox.Ledger()
	assert.Equal(t, 1, ledger.Calls[helloKey])
	assert.Len(t, ledger.EffectsFor(payKey), 1)
	assert.Len(t, ledger.EffectsFor(rea.IdempotencyKey(id, rea.Step("pay"), rea.Role("redrive"), rea.Index(1))), 1, "pay ran again, under a key of its own")
	assert.Len(t, ledger.EffectsFor(sendKey), 1)
}

// A fixed definition corrects a template: the step the provider refused
// runs with the corrected input under a new key; the rest is reused.
func TestRedriveWithAFixedDefinition(t *testing.T) {
	id := uniqueID(t)
	broken := `{"name": "fixme", "version": "1", "steps": [
	  {"id": "pay", "activity": "charge", "with": {"amount": 4, "customer": "cus_ada"}},
	  {"id": "send", "activity": "ship", "with": {"orderId": "${ workflow.id }", "address": "${ input.ADDRESS }"}}
	]}`
	original := writeFile(t, "fixme.json", broken)
	fixed := writeFile(t, "fixed.json", strings.Replace(strings.Replace(broken, "input.ADDRESS", "input.address", 1), `"version": "1"`, `"version": "2"`, 1))
	r := reaflow(t, "submit", original, "--id", id, "--input", `{"address": "1 Loop Road"}`, "--wait")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)

	r = reaflow(t, "redrive", id, "--definition", fixed, "--wait")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "(fixme 2)")
	assert.Regexp(t, `(?m)^  reuse +pay$`, r.stdout)
	assert.Regexp(t, `(?m)^  run +send  new keys for 1$`, r.stdout)
	ledger := stack.Sandbox.Ledger()
	assert.Equal(t, 1, ledger.Calls[rea.IdempotencyKey(id, rea.Step("pay"))])
	shipped := ledger.EffectsFor(rea.IdempotencyKey(id, rea.Step("send"), rea.Role("redrive"), rea.Index(1)))
	require.Len(t, shipped, 1)
	assert.True(t, shipped[0].Succeeded())
}

// Bulk: --dry-run lists the failed runs of a definition, then the real
// redrive runs them, one line per run.
func TestRedriveInBulk(t *testing.T) {
	name := strings.ToLower(strings.ReplaceAll(uniqueID(t), "_", "-"))
	definition := writeFile(t, "bulk.json", `{"name": "`+name+`", "steps": [
	  {"id": "send", "activity": "ship", "with": {"orderId": "${ workflow.id }", "address": "1 Loop Road"}, "retry": {"maxAttempts": 1}}
	]}`)
	var ids []string
	for i := range 2 {
		id := fmt.Sprintf("%s-%d", name, i)
		ids = append(ids, id)
		require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: rea.IdempotencyKey(id, rea.Step("send")), Times: 1, Status: 503}))
		r := reaflow(t, "submit", definition, "--id", id, "--wait")
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
	}
	r := reaflow(t, "redrive", "--status", "failed", "--workflow", name, "--since", "10m", "--dry-run")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	for _, id := range ids {
		assert.Contains(t, r.stdout, id+": would redrive as "+id+"-redrive-1")
	}
	r = reaflow(t, "redrive", "--status", "failed", "--workflow", name)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	for _, id := range ids {
		assert.Contains(t, r.stdout, id+": redriving as "+id+"-redrive-1")
		w := reaflow(t, "status", "--watch", id+"-redrive-1")
		assert.Equal(t, 0, w.code, w.stdout+w.stderr)
	}
	r = reaflow(t, "redrive", "--status", "failed", "--workflow", name)
	assert.Contains(t, r.stdout, "no failed runs to redrive")
}

// reaflow's workflow keeps finished runs and their journals for the
// redrive window, not Restate's default day.
func TestRunsAreKeptForTheRedriveWindow(t *testing.T) {
	resp, err := http.Get(stack.Restate.AdminURL + "/services/" + interpreter.WorkflowService)
	require.NoError(t, err)
	defer resp.Body.Close()
	var svc struct {
		WorkflowCompletionRetention string `json:"workflow_completion_retention"`
		JournalRetention            string `json:"journal_retention"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&svc))
	assert.Equal(t, "14d", svc.WorkflowCompletionRetention)
	assert.Equal(t, "14d", svc.JournalRetention)
}
