package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/rea"
)

// tripInput is the trip-booking input for one test run.
func tripInput(id, car string) string {
	return fmt.Sprintf(`{"tripId": %q, "customer": "cus_%s", "flight": "LH 400", "hotel": "Hotel Adlon", "car": %q, "deposit": 150, "email": "ada@example.com"}`, id, id, car)
}

// sagaEffects returns the provider effects of a trip-booking run: its
// steps' and its compensations', in the order they were applied.
func sagaEffects(ledger sandbox.Ledger, id string) (steps, undo map[string][]sandbox.Effect, order []string) {
	steps, undo = map[string][]sandbox.Effect{}, map[string][]sandbox.Effect{}
	keys := map[string]string{}
	for _, step := range []string{"deposit", "flight", "hotel", "car", "tellSoldOut", "confirm"} {
		keys[rea.IdempotencyKey(id, rea.Step(step))] = step
		keys[rea.IdempotencyKey(id, rea.Step(step), rea.Role("compensate"))] = "undo " + step
	}
	for _, e := range ledger.Effects {
		name, ok := keys[e.IdempotencyKey]
		switch {
		case !ok:
		case len(name) > 5 && name[:5] == "undo ":
			undo[name[5:]] = append(undo[name[5:]], e)
			order = append(order, name)
		default:
			steps[name] = append(steps[name], e)
			order = append(order, name)
		}
	}
	return steps, undo, order
}

// The car is sold out: the catch handler tells the customer and fails the
// run, and the hotel, the flight and the deposit are undone in reverse
// order, each exactly once.
func TestTripBookingSagaUndoesInReverseOrder(t *testing.T) {
	id := uniqueID(t)
	r := reaflow(t, "submit", "../../workflows/trip-booking.json", "--input", tripInput(id, "sold-out-suv"), "--id", id, "--wait")
	require.Equal(t, 1, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stderr, "sold_out")
	assert.Contains(t, r.stderr, "compensated: hotel, flight, deposit")

	steps, undo, order := sagaEffects(stack.Sandbox.Ledger(), id)
	assert.Equal(t, []string{"deposit", "flight", "hotel", "car", "tellSoldOut", "undo hotel", "undo flight", "undo deposit"}, order)
	for _, step := range []string{"deposit", "flight", "hotel"} {
		require.Len(t, undo[step], 1, "one compensation of %s", step)
		assert.True(t, undo[step][0].Succeeded())
	}
	assert.Equal(t, "POST /payments/refunds", undo["deposit"][0].Endpoint)
	assert.Equal(t, "/travel/bookings/"+steps["hotel"][0].ObjectID+"/cancel", undo["hotel"][0].Path)
	assert.Equal(t, 422, steps["car"][0].Status, "the provider refused the car")

	id = uniqueID(t)
	r = reaflow(t, "submit", "../../workflows/trip-booking.json", "--input", tripInput(id, "compact"), "--id", id, "--wait")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	_, undo, order = sagaEffects(stack.Sandbox.Ledger(), id)
	assert.Equal(t, []string{"deposit", "flight", "hotel", "car", "confirm"}, order)
	assert.Empty(t, undo, "a successful run compensates nothing")
}

// orderApprovalInput is the order-approval input for one test run.
func orderApprovalInput(id string, amount float64) string {
	return fmt.Sprintf(`{"orderId": %q, "customerId": "cus_%s", "amount": %v, "address": "1 Loop Road", "email": "grace@example.com", "lines": ["desk", "chair", "lamp", "shelf"]}`, id, id, amount)
}

// signalWhenWaiting sends a signal as soon as the run has started.
func signalWhenWaiting(t *testing.T, id, name, payload string) {
	t.Helper()
	var last result
	require.Eventually(t, func() bool {
		last = reaflow(t, "signal", id, name, payload)
		return last.code == 0
	}, 20*time.Second, 50*time.Millisecond, "signal: %s", last.stderr)
}

func TestOrderApprovalBySignal(t *testing.T) {
	id := uniqueID(t)
	r := reaflow(t, "submit", "../../workflows/order-approval.json", "--input", orderApprovalInput(id, 2400), "--id", id)
	require.Equal(t, 0, r.code, r.stderr)
	r = reaflow(t, "signal", id, "approve", `{"approved": "yes"}`)
	assert.Equal(t, 1, r.code, "the payload must match the await's schema")
	signalWhenWaiting(t, id, "approve", `{"approved": true, "by": "ops@example.com"}`)

	r = reaflow(t, "output", id, "--wait")
	require.Equal(t, 0, r.code, r.stderr)
	var out struct {
		ApprovedBy string   `json:"approvedBy"`
		Tracking   []string `json:"tracking"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Equal(t, "ops@example.com", out.ApprovedBy)
	assert.Len(t, out.Tracking, 4, "one shipment per line")
	assert.False(t, slices.Contains(out.Tracking, ""))

	// Rejected: the run fails before anything is charged.
	id = uniqueID(t)
	r = reaflow(t, "submit", "../../workflows/order-approval.json", "--input", orderApprovalInput(id, 5000), "--id", id)
	require.Equal(t, 0, r.code, r.stderr)
	signalWhenWaiting(t, id, "approve", `{"approved": false, "by": "ops@example.com"}`)
	r = reaflow(t, "output", id, "--wait")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not_approved")
	assert.Empty(t, stack.Sandbox.Ledger().EffectsFor(rea.IdempotencyKey(id, rea.Step("charge"))))

	// Below the limit no approval is needed.
	id = uniqueID(t)
	r = reaflow(t, "submit", "../../workflows/order-approval.json", "--input", orderApprovalInput(id, 20), "--id", id, "--wait")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"approvedBy": "not needed"`)
}
