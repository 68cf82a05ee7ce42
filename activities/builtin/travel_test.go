package builtin

import (
	"encoding/json"
	"testing"

	"github.com/reaflow/reaflow/activities"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTravelHappyPath(t *testing.T) {
	reg, sb, _ := withSandbox(t)

	flight, err := call(t, reg, "k-flight", "book", `{"kind": "flight", "customer": "cus_1", "item": "LH 123", "amount": 45000}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "bk_000001", "kind": "flight", "item": "LH 123", "customer": "cus_1", "amount": 45000.0, "status": "confirmed"}, flight)

	hotel, err := call(t, reg, "k-hotel", "book", `{"kind": "hotel", "customer": "cus_1", "item": "Hotel Adlon"}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "bk_000002", "kind": "hotel", "item": "Hotel Adlon", "customer": "cus_1", "status": "confirmed"}, hotel)

	for _, c := range []struct{ key, id string }{{"k-cancel-hotel", "bk_000002"}, {"k-cancel-flight", "bk_000001"}} {
		cancelled, err := call(t, reg, c.key, "cancelBooking", `{"id": "`+c.id+`"}`)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"id": c.id, "status": "cancelled"}, cancelled)
	}

	l := sb.Ledger()
	assert.Equal(t, []string{"bk_000001", "bk_000002"}, sandbox.ObjectIDs(l.EffectsOn("POST /travel/bookings")))
	assert.Equal(t, []string{"bk_000002", "bk_000001"}, sandbox.ObjectIDs(l.EffectsOn("POST /travel/bookings/{id}/cancel")))
	assert.Equal(t, "k-cancel-hotel", l.EffectsOn("POST /travel/bookings/{id}/cancel")[0].IdempotencyKey)
}

// A retried step sends the same key: the booking and its cancellation each
// happen once, and the retry gets the first answer.
func TestTravelOneKeyOneEffect(t *testing.T) {
	reg, sb, _ := withSandbox(t)
	book := stepContext(t, "trip-1/steps/0")
	first, err := reg.Call(book, "book", json.RawMessage(`{"kind": "car", "customer": "cus_1", "item": "compact"}`))
	require.NoError(t, err)
	again, err := reg.Call(book, "book", json.RawMessage(`{"kind": "car", "customer": "cus_1", "item": "compact"}`))
	require.NoError(t, err)
	assert.JSONEq(t, string(first), string(again))

	cancel := stepContext(t, "trip-1/compensate/0")
	for range 2 {
		out, err := reg.Call(cancel, "cancelBooking", json.RawMessage(`{"id": "bk_000001"}`))
		require.NoError(t, err)
		assert.JSONEq(t, `{"id": "bk_000001", "status": "cancelled"}`, string(out))
	}

	l := sb.Ledger()
	assert.Len(t, l.Effects, 2)
	assert.Equal(t, map[string]int{"trip-1/steps/0": 2, "trip-1/compensate/0": 2}, l.Calls)
}

func TestTravelErrors(t *testing.T) {
	reg, sb, _ := withSandbox(t,
		sandbox.WithFaults(
			sandbox.FaultRule{IdempotencyKey: "unavailable", Status: 503},
			sandbox.FaultRule{IdempotencyKey: "throttled", Status: 429},
			sandbox.FaultRule{IdempotencyKey: "declined", Decline: true},
		))
	tests := []struct {
		name, key, activity, input string
		code                       string // "" means retryable
	}{
		{"unavailable", "unavailable", "book", `{"kind": "car", "customer": "c", "item": "x"}`, ""},
		{"throttled cancel", "throttled", "cancelBooking", `{"id": "bk_000001"}`, ""},
		{"sold out", "sold-out", "book", `{"kind": "hotel", "customer": "c", "item": "sold-out"}`, "sold_out"},
		{"sold out by rule", "declined", "book", `{"kind": "flight", "customer": "c", "item": "LH 1"}`, "sold_out"},
		{"unknown kind", "train", "book", `{"kind": "train", "customer": "c", "item": "ICE 1"}`, "parameter_invalid"},
		{"no customer", "no-customer", "book", `{"kind": "car", "item": "x"}`, "parameter_missing"},
		{"fractional cents", "cents", "book", `{"kind": "car", "customer": "c", "item": "x", "amount": 1.5}`, "invalid_input"},
		{"unknown booking", "unknown", "cancelBooking", `{"id": "bk_nope"}`, "resource_missing"},
		{"no booking id", "no-id", "cancelBooking", `{}`, "invalid_input"},
		{"unknown input field", "typo", "book", `{"kind": "car", "customer": "c", "itme": "x"}`, "invalid_input"},
		{"no idempotency key", "", "cancelBooking", `{"id": "bk_000001"}`, "idempotency_key_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := call(t, reg, tt.key, tt.activity, tt.input)
			require.Error(t, err)
			assert.Equal(t, tt.code != "", activities.IsTerminal(err), "terminal: %v", err)
			assert.Equal(t, tt.code, activities.ErrorCode(err), "%v", err)
		})
	}
	assert.Equal(t, 1, sb.Ledger().Calls["sold-out"])
}

func TestTravelProviderURL(t *testing.T) {
	_, _, base := withSandbox(t)
	const input = `{"kind": "car", "customer": "c", "item": "compact"}`

	t.Run("unset", func(t *testing.T) {
		t.Setenv(EnvTravelURL, "")
		reg := activities.NewRegistry()
		Register(reg)
		for _, c := range []struct{ activity, input string }{{"book", input}, {"cancelBooking", `{"id": "bk_1"}`}} {
			_, err := call(t, reg, "k", c.activity, c.input)
			assert.False(t, activities.IsTerminal(err), "retried until the endpoint is configured")
			assert.Equal(t, "not_configured", activities.ErrorCode(err))
			assert.Contains(t, err.Error(), EnvTravelURL)
			assert.Contains(t, err.Error(), "WithTravelURL")
		}
	})
	t.Run("from the environment", func(t *testing.T) {
		t.Setenv(EnvTravelURL, base+"/travel")
		reg := activities.NewRegistry()
		Register(reg)
		_, err := call(t, reg, "k-env", "book", input)
		assert.NoError(t, err)
	})
	t.Run("option over the environment", func(t *testing.T) {
		t.Setenv(EnvTravelURL, "http://127.0.0.1:1/travel")
		reg := activities.NewRegistry()
		Register(reg, WithTravelURL(base+"/travel/"))
		_, err := call(t, reg, "k-opt", "book", input)
		assert.NoError(t, err)
	})
}
