package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restatedev/sdk-go/encoding"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/rea"
)

func readWorkflow(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "workflows", name))
	require.NoError(t, err)
	return data
}

func orderInput(id string) map[string]any {
	return map[string]any{
		"orderId":    "order-" + id,
		"customerId": "cus_" + id,
		"amount":     42.5,
		"address":    "1 Loop Road",
		"email":      "ada@example.com",
		"items":      []string{"keyboard"},
	}
}

func TestOrderFulfillmentThenCancellation(t *testing.T) {
	id := uniqueID(t)
	out, err := runWorkflow(t, id, readWorkflow(t, "order-fulfillment.json"), orderInput(id))
	require.NoError(t, err)
	var order struct{ OrderID, ChargeID, Tracking, EmailID string }
	require.NoError(t, json.Unmarshal(out, &order))
	assert.Equal(t, "order-"+id, order.OrderID)
	assert.True(t, strings.HasPrefix(order.ChargeID, "ch_"), order.ChargeID)
	assert.NotEmpty(t, order.Tracking)
	assert.NotEmpty(t, order.EmailID)

	ledger := providers.Ledger()
	require.Len(t, ledger.EffectsFor(key(id, "charge")), 1)
	require.Len(t, ledger.EffectsFor(key(id, "notify")), 1)
	// ship has a dedup key: its provider key derives from the dedup key.
	shipKey := rea.IdempotencyKey("ship/ship:order-"+id, rea.Role("dedup"))
	ship := ledger.EffectsFor(shipKey)
	require.Len(t, ship, 1)

	cancelID := uniqueID(t)
	out, err = runWorkflow(t, cancelID, readWorkflow(t, "order-cancellation.json"), map[string]any{
		"orderId":    "order-" + id,
		"chargeId":   order.ChargeID,
		"shipmentId": ship[0].ObjectID,
		"email":      "ada@example.com",
		"reason":     "changed my mind",
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"orderId":"order-`+id+`","refundId":"`+providers.Ledger().EffectsFor(rea.IdempotencyKey("refund/refund:"+order.ChargeID, rea.Role("dedup")))[0].ObjectID+`","shipmentCancelled":true}`, string(out))
}

func TestSubscriptionRenewal(t *testing.T) {
	definition := readWorkflow(t, "subscription-renewal.json")
	cases := []struct {
		name    string
		plan    string
		years   int
		charged float64
	}{
		{name: "paid plan with loyalty discount", plan: "pro", years: 2, charged: 18},
		{name: "free plan skips the charge", plan: "free", years: 0, charged: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := uniqueID(t)
			price := 20.0
			if c.plan == "free" {
				price = 0
			}
			out, err := runWorkflow(t, id, definition, map[string]any{
				"subscriptionId": "sub-" + id, "customerId": "cus_" + id, "plan": c.plan, "price": price,
				"loyaltyYears": c.years, "email": "ada@example.com", "billingWebhook": sandboxURL + "/webhooks/billing",
			})
			require.NoError(t, err)
			var result struct {
				Charged  float64 `json:"charged"`
				ChargeID *string `json:"chargeId"`
				Receipt  string  `json:"receipt"`
			}
			require.NoError(t, json.Unmarshal(out, &result))
			assert.InDelta(t, c.charged, result.Charged, 0.001)
			assert.NotEmpty(t, result.Receipt)
			charges := providers.Ledger().EffectsFor(key(id, "charge"))
			if c.plan == "free" {
				assert.Nil(t, result.ChargeID)
				assert.Empty(t, charges, "a skipped step calls nothing")
			} else {
				require.Len(t, charges, 1)
				assert.Equal(t, charges[0].ObjectID, *result.ChargeID)
			}
			assert.Len(t, providers.Ledger().EffectsFor(key(id, "recordInvoice")), 1)
		})
	}
}

// A step retries transient provider failures with its policy; every retry
// sends the same idempotency key, so the provider applies one effect.
func TestRetriesTransientFailuresWithTheSameKey(t *testing.T) {
	id := uniqueID(t)
	require.NoError(t, providers.AddFaults(
		sandbox.FaultRule{IdempotencyKey: key(id, "charge"), Times: 2, Status: 503},
		sandbox.FaultRule{IdempotencyKey: key(id, "notify"), Times: 3, Status: 429},
		// The effect is applied but the answer is lost: the retry must get
		// the stored answer, not a second charge.
		sandbox.FaultRule{IdempotencyKey: key(id, "pay"), Times: 1, AfterEffect: true, Status: 500},
	))
	definition := []byte(`{
	  "name": "retries",
	  "steps": [
	    {"id": "charge", "activity": "charge", "with": {"amount": 10, "customer": "cus_r"},
	     "retry": {"maxAttempts": 5, "initialInterval": "10ms", "maxInterval": "50ms"}},
	    {"id": "pay", "activity": "charge", "with": {"amount": 11, "customer": "cus_r"},
	     "retry": {"maxAttempts": 3, "initialInterval": "10ms"}},
	    {"id": "notify", "activity": "email", "with": {"to": "a@example.com", "subject": "s", "body": "b"},
	     "retry": {"maxAttempts": 4, "initialInterval": "10ms", "maxInterval": "20ms"}}
	  ]
	}`)
	_, err := runWorkflow(t, id, definition, nil)
	require.NoError(t, err)
	ledger := providers.Ledger()
	for step, calls := range map[string]int{"charge": 3, "pay": 2, "notify": 4} {
		assert.Equal(t, calls, ledger.Calls[key(id, step)], "raw calls of %s", step)
		assert.Len(t, ledger.EffectsFor(key(id, step)), 1, "effects of %s", step)
	}
}

func TestRetriesRunOutThenTheRunFails(t *testing.T) {
	id := uniqueID(t)
	require.NoError(t, providers.AddFaults(sandbox.FaultRule{IdempotencyKey: key(id, "charge"), Status: 503}))
	definition := []byte(`{"name": "exhausted", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 10, "customer": "cus_x"},
	   "retry": {"maxAttempts": 3, "initialInterval": "10ms", "maxInterval": "20ms"}},
	  {"id": "notify", "activity": "email", "with": {"to": "a@example.com", "subject": "s", "body": "b"}}
	]}`)
	_, err := runWorkflow(t, id, definition, nil)
	failure := terminal(t, err)
	assert.Contains(t, failure.Message(), `step "charge" (activity charge) failed`)
	ledger := providers.Ledger()
	assert.Equal(t, 3, ledger.Calls[key(id, "charge")])
	assert.Zero(t, ledger.Calls[key(id, "notify")], "steps after a failed step never run")
}

// A terminal provider error (a declined card) is not retried, and fails the
// run naming the step and the provider's error code.
func TestTerminalErrorIsNotRetried(t *testing.T) {
	id := uniqueID(t)
	require.NoError(t, providers.AddFaults(sandbox.FaultRule{IdempotencyKey: key(id, "charge"), Decline: true}))
	definition := []byte(`{"name": "declined", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 10, "customer": "cus_d"},
	   "retry": {"maxAttempts": 5, "initialInterval": "10ms"}},
	  {"id": "ship", "activity": "ship", "with": {"orderId": "o", "address": "a"}}
	]}`)
	_, err := runWorkflow(t, id, definition, nil)
	failure := terminal(t, err)
	assert.Contains(t, failure.Message(), `step "charge"`)
	assert.Contains(t, failure.Message(), "card_declined")
	ledger := providers.Ledger()
	assert.Equal(t, 1, ledger.Calls[key(id, "charge")])
	assert.Zero(t, ledger.Calls[key(id, "ship")])
}

// The activity context carries the derived key, the same one the journal
// replays and retries use.
func TestActivityContext(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "ctx", "steps": [
	  {"id": "first", "activity": "inspect", "with": {"who": "${ workflow.id }"}},
	  {"id": "second", "activity": "inspect", "with": "${ steps.first.output.idempotencyKey }"}
	]}`)
	out, err := runWorkflow(t, id, definition, nil)
	require.NoError(t, err)
	var result map[string]struct {
		IdempotencyKey string `json:"idempotencyKey"`
		WorkflowID     string `json:"workflowId"`
		StepID         string `json:"stepId"`
		StepPath       string `json:"stepPath"`
		Echo           any    `json:"echo"`
	}
	require.NoError(t, json.Unmarshal(out, &result))
	assert.Equal(t, key(id, "first"), result["first"].IdempotencyKey)
	assert.Equal(t, id, result["first"].WorkflowID)
	assert.Equal(t, "first", result["first"].StepID)
	assert.Equal(t, "/steps/0", result["first"].StepPath)
	assert.Equal(t, map[string]any{"who": id}, result["first"].Echo)
	assert.Equal(t, key(id, "second"), result["second"].IdempotencyKey)
	assert.Equal(t, key(id, "first"), result["second"].Echo)
}

func TestWhenAndSet(t *testing.T) {
	definition := []byte(`{"name": "branches",
	  "input": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
	  "steps": [
	    {"id": "double", "set": {"twice": "${ input.n * 2 }", "label": "n=${ input.n }"}},
	    {"id": "big", "when": "vars.twice > 10", "activity": "inspect", "with": "${ vars.label }"},
	    {"id": "small", "when": "vars.twice <= 10", "activity": "inspect", "with": "${ vars.label }"}
	  ],
	  "output": {"twice": "${ vars.twice }", "big": "${ steps.big?.output?.echo }", "small": "${ steps.small?.output?.echo }"}
	}`)
	cases := []struct {
		n    int
		want string
	}{
		{n: 3, want: `{"twice": 6, "big": null, "small": "n=3"}`},
		{n: 8, want: `{"twice": 16, "big": "n=8", "small": null}`},
	}
	for _, c := range cases {
		out, err := runWorkflow(t, uniqueID(t), definition, map[string]any{"n": c.n})
		require.NoError(t, err)
		assert.JSONEq(t, c.want, string(out))
	}
}

// Two runs with the same dedup key, started together, apply the effect once
// and both get its result.
func TestDedupAcrossWorkflows(t *testing.T) {
	order := "order-" + uniqueID(t)
	definition := []byte(`{"name": "dedup", "steps": [
	  {"id": "ship", "activity": "ship", "with": {"orderId": "${ input.orderId }", "address": "1 Loop Road"},
	   "dedup": "'ship:' + input.orderId"}
	], "output": "${ steps.ship.output.trackingNumber }"}`)
	dedupKey := rea.IdempotencyKey("ship/ship:"+order, rea.Role("dedup"))
	// The first call's answer is held, so the second run reaches the dedup
	// object while the first still holds it.
	require.NoError(t, providers.AddFaults(sandbox.FaultRule{IdempotencyKey: dedupKey, Times: 1, HoldAfterEffect: sandbox.Duration(time.Second)}))
	var (
		wg      sync.WaitGroup
		outputs [2]json.RawMessage
		errs    [2]error
	)
	for i := range outputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outputs[i], errs[i] = runWorkflow(t, uniqueID(t), definition, map[string]any{"orderId": order})
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	assert.JSONEq(t, string(outputs[0]), string(outputs[1]))
	ledger := providers.Ledger()
	assert.Len(t, ledger.EffectsFor(dedupKey), 1)
	assert.Equal(t, 1, ledger.Calls[dedupKey], "the second run reads the record, it does not call the provider")
}

// A dedup step that ran out of retries during an outage leaves no record:
// the next run with the same key tries again, and the provider still
// applies the effect once.
func TestDedupDoesNotRecordExhaustedRetries(t *testing.T) {
	order := "order-" + uniqueID(t)
	dedupKey := rea.IdempotencyKey("ship/ship:"+order, rea.Role("dedup"))
	require.NoError(t, providers.AddFaults(sandbox.FaultRule{IdempotencyKey: dedupKey, Times: 2, Status: 503}))
	definition := []byte(`{"name": "dedup-outage", "steps": [
	  {"id": "ship", "activity": "ship", "with": {"orderId": "${ input.orderId }", "address": "1 Loop Road"},
	   "retry": {"maxAttempts": 2, "initialInterval": "10ms"}, "dedup": "'ship:' + input.orderId"}
	]}`)
	_, err := runWorkflow(t, uniqueID(t), definition, map[string]any{"orderId": order})
	assert.Contains(t, terminal(t, err).Message(), `step "ship"`)

	_, err = runWorkflow(t, uniqueID(t), definition, map[string]any{"orderId": order})
	require.NoError(t, err, "the outage is over, and the key was not spent")
	ledger := providers.Ledger()
	assert.Len(t, ledger.EffectsFor(dedupKey), 1)
	assert.Equal(t, 3, ledger.Calls[dedupKey])
}

// Each activity step is one journal entry pair (the Run command and its
// completion) named by the step id; a dedup step is one call; set steps and
// skipped steps write nothing.
func TestJournalHasOneEntryPerStep(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "journal", "steps": [
	  {"id": "first", "activity": "inspect", "with": 1},
	  {"id": "vars", "set": {"x": 2}},
	  {"id": "skipped", "when": "vars.x > 5", "activity": "inspect"},
	  {"id": "deduped", "activity": "inspect", "dedup": "workflow.id"},
	  {"id": "last", "activity": "inspect", "with": "${ vars.x }"}
	]}`)
	_, err := runWorkflow(t, id, definition, nil)
	require.NoError(t, err)
	rows, err := restateServer.Query(context.Background(), `SELECT j.entry_type, j.name FROM sys_journal j
		JOIN sys_invocation i ON j.id = i.id
		WHERE i.target_service_name = 'Reaflow' AND i.target_service_key = '`+id+`' ORDER BY j.index`)
	require.NoError(t, err)
	var entries []string
	for _, row := range rows {
		entry := fmt.Sprint(row["entry_type"])
		if name, _ := row["name"].(string); name != "" {
			entry += " " + name
		}
		entries = append(entries, entry)
	}
	assert.Equal(t, []string{
		"Command: Input",
		"Command: Run first", "Notification: Run",
		"Command: Call", "Notification: CallInvocationId", "Notification: Call",
		"Command: Run last", "Notification: Run",
		"Command: Output",
	}, entries)
}

// A failure the activity declared terminal is recorded for the dedup key:
// the next run with the key gets the same failure without calling the
// provider.
func TestDedupRecordsDeclaredFailures(t *testing.T) {
	customer := "cus_declined_" + uniqueID(t)
	definition := []byte(`{"name": "dedup-declined", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 5, "customer": "${ input.customer }"},
	   "dedup": "'charge:' + input.customer"}
	]}`)
	dedupKey := rea.IdempotencyKey("charge/charge:"+customer, rea.Role("dedup"))
	for range 2 {
		_, err := runWorkflow(t, uniqueID(t), definition, map[string]any{"customer": customer})
		assert.Contains(t, terminal(t, err).Message(), "card_declined")
	}
	assert.Equal(t, 1, providers.Ledger().Calls[dedupKey])
}

// An activity's output is journaled as the bytes json.Marshal wrote, which
// are the bytes Restate's JSON codec journaled before the Run's codec
// passed them through (rea.RawJSON): characters it escapes for HTML, line
// separators and text beyond ASCII come out the same, so journals written
// before replay, and status reads them, as before.
func TestJournaledOutputIsJSONCodecOutput(t *testing.T) {
	id := uniqueID(t)
	with := map[string]any{"html": "<a href='x'>&</a>", "separators": "\u2028\u2029", "text": "ünï ✓ \"quoted\" \\ \t"}
	encodedWith, err := json.Marshal(with)
	require.NoError(t, err)
	definition := []byte(`{"name": "journal-bytes", "steps": [{"id": "echo", "activity": "inspect", "with": ` + string(encodedWith) + `}]}`)
	_, err = runWorkflow(t, id, definition, nil)
	require.NoError(t, err)
	rows, err := restateServer.Query(context.Background(), `SELECT j.entry_json FROM sys_journal j
		JOIN sys_invocation i ON j.id = i.id
		WHERE i.target_service_name = 'Reaflow' AND i.target_service_key = '`+id+`' AND j.entry_type = 'Notification: Run'`)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	var entry struct {
		Notification struct {
			Completion struct {
				Run struct {
					Result struct {
						Success []byte // an array of byte values
					} `json:"result"`
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(fmt.Sprint(rows[0]["entry_json"])), &entry))
	journaled := entry.Notification.Completion.Run.Result.Success
	require.NotEmpty(t, journaled)

	// What the activity returned, encoded as the activity's registry
	// encodes it...
	var out inspectOutput
	require.NoError(t, json.Unmarshal(journaled, &out))
	assert.Equal(t, with, out.Echo)
	want, err := json.Marshal(out)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(journaled))
	// ...which Restate's JSON codec leaves as it is.
	viaJSONCodec, err := encoding.JSONCodec.Marshal(json.RawMessage(journaled))
	require.NoError(t, err)
	assert.Equal(t, string(viaJSONCodec), string(journaled))
}
