package sandbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	bookRoute   = "POST /travel/bookings"
	cancelRoute = "POST /travel/bookings/{id}/cancel"
)

func TestTravelBookings(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		code       string         // error code for failures
		fields     map[string]any // expected fields for successes
	}{
		{"flight", `{"kind": "flight", "customer": "cus_1", "item": "LH 123", "amount": 45000}`, 200, "",
			map[string]any{"id": "bk_000001", "kind": "flight", "item": "LH 123", "customer": "cus_1", "amount": 45000.0, "status": "confirmed"}},
		{"hotel without amount", `{"kind": "hotel", "customer": "cus_1", "item": "Hotel Adlon"}`, 200, "",
			map[string]any{"kind": "hotel", "item": "Hotel Adlon", "amount": nil, "status": "confirmed"}},
		{"car", `{"kind": "car", "customer": "cus_1", "item": "compact", "amount": 0}`, 200, "",
			map[string]any{"kind": "car", "status": "confirmed"}},
		{"sold out", `{"kind": "hotel", "customer": "cus_1", "item": "sold-out"}`, 422, "sold_out", nil},
		{"sold out in any case", `{"kind": "flight", "customer": "cus_1", "item": "LH 1 SOLD-OUT"}`, 422, "sold_out", nil},
		{"no kind", `{"customer": "cus_1", "item": "x"}`, 400, "parameter_missing", nil},
		{"unknown kind", `{"kind": "train", "customer": "cus_1", "item": "x"}`, 400, "parameter_invalid", nil},
		{"no customer", `{"kind": "car", "item": "x"}`, 400, "parameter_missing", nil},
		{"no item", `{"kind": "car", "customer": "cus_1", "item": " "}`, 400, "parameter_missing", nil},
		{"fractional cents", `{"kind": "car", "customer": "cus_1", "item": "x", "amount": 10.5}`, 400, "parameter_invalid", nil},
		{"negative amount", `{"kind": "car", "customer": "cus_1", "item": "x", "amount": -1}`, 400, "parameter_invalid", nil},
		{"amount of the wrong type", `{"kind": "car", "customer": "cus_1", "item": "x", "amount": "10"}`, 400, "parameter_invalid", nil},
	}
	_, srv := newServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, srv, "/travel/bookings", "key-"+tt.name, tt.body)
			require.Equal(t, tt.status, resp.status, resp.body)
			if tt.code != "" {
				assert.Equal(t, tt.code, errorCode(t, resp.body))
			}
			for name, want := range tt.fields {
				assert.Equal(t, want, field(t, resp.body, name), name)
			}
		})
	}
}

func TestBookingReplay(t *testing.T) {
	tests := []struct {
		name, first, again string
		status             int
	}{
		{"confirmed", `{"kind": "flight", "customer": "cus_1", "item": "LH 123", "amount": 100}`, `{"amount": 100.0, "item": "LH 123", "customer": "cus_1", "kind": "flight"}`, 200},
		{"sold out", `{"kind": "hotel", "customer": "cus_1", "item": "sold-out"}`, `{"kind": "hotel", "customer": "cus_1", "item": "sold-out"}`, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, srv := newServer(t)
			first := post(t, srv, "/travel/bookings", "k", tt.first)
			again := post(t, srv, "/travel/bookings", "k", tt.again)
			assert.Equal(t, tt.status, first.status, first.body)
			assert.Equal(t, first.status, again.status)
			assert.Equal(t, first.body, again.body)
			assert.Empty(t, first.header.Get("Idempotent-Replayed"))
			assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))

			other := post(t, srv, "/travel/bookings", "k", `{"kind": "car", "customer": "cus_1", "item": "compact"}`)
			assert.Equal(t, http.StatusUnprocessableEntity, other.status)
			assert.Equal(t, "idempotency_key_reuse", errorCode(t, other.body))

			l := sb.Ledger()
			require.Len(t, l.Effects, 1)
			assert.Equal(t, tt.status, l.Effects[0].Status)
			assert.Equal(t, "travel", l.Effects[0].Provider)
			assert.Equal(t, 3, l.Calls["k"])
		})
	}
}

func TestRefusedBookingIsNotStored(t *testing.T) {
	sb, srv := newServer(t)
	assert.Equal(t, 400, post(t, srv, "/travel/bookings", "k", `{"kind": "train", "customer": "c", "item": "x"}`).status)
	assert.Equal(t, 200, post(t, srv, "/travel/bookings", "k", `{"kind": "car", "customer": "c", "item": "x"}`).status)
	assert.Len(t, sb.Ledger().Effects, 1)
}

func TestCancelBooking(t *testing.T) {
	sb, srv := newServer(t)
	booked := post(t, srv, "/travel/bookings", "book", `{"kind": "car", "customer": "cus_1", "item": "compact"}`)
	require.Equal(t, 200, booked.status, booked.body)
	id := field(t, booked.body, "id").(string)
	path := "/travel/bookings/" + id + "/cancel"

	first := post(t, srv, path, "cancel", `{}`)
	require.Equal(t, 200, first.status, first.body)
	assert.Equal(t, id, field(t, first.body, "id"))
	assert.Equal(t, "cancelled", field(t, first.body, "status"))

	// The same key replays: no second effect.
	again := post(t, srv, path, "cancel", `{}`)
	assert.Equal(t, first.body, again.body)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Len(t, sb.Ledger().EffectsOn(cancelRoute), 1)

	// Another key cancels again, harmlessly, and the ledger shows it.
	other := post(t, srv, path, "cancel-2", ``)
	assert.Equal(t, 200, other.status)
	assert.Equal(t, "cancelled", field(t, other.body, "status"))
	cancels := sb.Ledger().EffectsOn(cancelRoute)
	require.Len(t, cancels, 2)
	assert.Equal(t, []string{id, id}, ObjectIDs(cancels))
	assert.Contains(t, cancels[1].Summary, "already cancelled")

	unknown := post(t, srv, "/travel/bookings/bk_nope/cancel", "cancel-unknown", `{}`)
	assert.Equal(t, http.StatusNotFound, unknown.status)
	assert.Equal(t, "resource_missing", errorCode(t, unknown.body))
	// The refusal is stored like any answer.
	replayed := post(t, srv, "/travel/bookings/bk_nope/cancel", "cancel-unknown", `{}`)
	assert.Equal(t, http.StatusNotFound, replayed.status)
	assert.Equal(t, "true", replayed.header.Get("Idempotent-Replayed"))
}

// A saga books in order and compensates in reverse; the ledger shows both
// orders, each cancellation once.
func TestLedgerOrdersBookingsAndCancellations(t *testing.T) {
	sb, srv := newServer(t)
	var ids []string
	for _, b := range []string{
		`{"kind": "flight", "customer": "cus_1", "item": "LH 123"}`,
		`{"kind": "hotel", "customer": "cus_1", "item": "Hotel Adlon"}`,
		`{"kind": "car", "customer": "cus_1", "item": "compact"}`,
	} {
		resp := post(t, srv, "/travel/bookings", "book-"+b, b)
		require.Equal(t, 200, resp.status, resp.body)
		ids = append(ids, field(t, resp.body, "id").(string))
	}
	post(t, srv, "/email/messages", "mail", `{"to": "a@b"}`)
	for i := len(ids) - 1; i >= 0; i-- {
		require.Equal(t, 200, post(t, srv, "/travel/bookings/"+ids[i]+"/cancel", "cancel-"+ids[i], `{}`).status)
	}

	l := sb.Ledger()
	assert.Equal(t, []string{"bk_000001", "bk_000002", "bk_000003"}, ObjectIDs(l.EffectsOn(bookRoute)))
	cancels := l.EffectsOn(cancelRoute)
	assert.Equal(t, []string{"bk_000003", "bk_000002", "bk_000001"}, ObjectIDs(cancels))
	for i, e := range cancels {
		assert.Equal(t, "travel", e.Provider)
		assert.Equal(t, "/travel/bookings/"+e.ObjectID+"/cancel", e.Path)
		if i > 0 {
			assert.Greater(t, e.Seq, cancels[i-1].Seq)
		}
	}
	assert.Greater(t, cancels[0].Seq, l.EffectsOn(bookRoute)[2].Seq)
	assert.Equal(t, EndpointTotals{Succeeded: 3}, l.Totals.ByEndpoint[cancelRoute])
	assert.Empty(t, l.EffectsOn("POST /nowhere"))
}

func TestFaultsApplyToTravel(t *testing.T) {
	const booking = `{"kind": "flight", "customer": "cus_1", "item": "LH 123"}`
	t.Run("status times", func(t *testing.T) {
		for _, rule := range []FaultRule{
			{Path: "/travel/bookings", Times: 2, Status: 503},
			{Provider: "travel", Times: 2, Status: 503},
			{Customer: "cus_1", Times: 2, Status: 503},
		} {
			sb, srv := newServer(t, WithFaults(rule))
			call := func() response { return post(t, srv, "/travel/bookings", "k", booking) }
			assert.Equal(t, []int{503, 503, 200, 200}, statuses(t, call, 4), "%+v", rule)
			assert.Len(t, sb.Ledger().Effects, 1)
		}
	})
	t.Run("429 on cancel", func(t *testing.T) {
		_, srv := newServer(t, WithFaults(FaultRule{Path: "/travel/bookings/*/cancel", Status: 429}))
		require.Equal(t, 200, post(t, srv, "/travel/bookings", "book", booking).status)
		resp := post(t, srv, "/travel/bookings/bk_000001/cancel", "cancel", `{}`)
		assert.Equal(t, http.StatusTooManyRequests, resp.status)
		assert.Equal(t, "1", resp.header.Get("Retry-After"))
	})
	t.Run("after effect", func(t *testing.T) {
		sb, srv := newServer(t, WithFaults(FaultRule{Path: "/travel/bookings/*/cancel", Times: 1, AfterEffect: true}))
		require.Equal(t, 200, post(t, srv, "/travel/bookings", "book", booking).status)
		assert.Equal(t, 500, post(t, srv, "/travel/bookings/bk_000001/cancel", "cancel", `{}`).status)
		retry := post(t, srv, "/travel/bookings/bk_000001/cancel", "cancel", `{}`)
		assert.Equal(t, 200, retry.status)
		assert.Equal(t, "true", retry.header.Get("Idempotent-Replayed"))
		cancels := sb.Ledger().EffectsOn(cancelRoute)
		require.Len(t, cancels, 1)
		assert.Equal(t, "rule 1", cancels[0].Fault)
		assert.Equal(t, 2, sb.Ledger().Calls["cancel"])
	})
	t.Run("drop", func(t *testing.T) {
		sb, srv := newServer(t, WithFaults(FaultRule{Provider: "travel", Drop: true, Times: 1}))
		_, err := postErr(srv, "/travel/bookings", "k", booking)
		require.Error(t, err)
		assert.Empty(t, sb.Ledger().Effects)
		assert.Equal(t, 200, post(t, srv, "/travel/bookings", "k", booking).status)
	})
	t.Run("latency", func(t *testing.T) {
		_, srv := newServer(t, WithFaults(FaultRule{Provider: "travel", Latency: Duration(20 * time.Millisecond)}))
		start := time.Now()
		assert.Equal(t, 200, post(t, srv, "/travel/bookings", "k", booking).status)
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
	})
	t.Run("decline is sold out", func(t *testing.T) {
		sb, srv := newServer(t, WithFaults(FaultRule{IdempotencyKey: "unlucky", Decline: true}))
		resp := post(t, srv, "/travel/bookings", "unlucky", booking)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.status)
		assert.Equal(t, "sold_out", errorCode(t, resp.body))
		assert.Equal(t, 200, post(t, srv, "/travel/bookings", "lucky", booking).status)
		assert.Equal(t, 1, sb.Ledger().Totals.Failed)
	})
	t.Run("headers", func(t *testing.T) {
		_, srv := newServer(t)
		call := func() response {
			return post(t, srv, "/travel/bookings", "k", booking, "Sandbox-Fail", "502", "Sandbox-Fail-Times", "1")
		}
		assert.Equal(t, []int{502, 200}, statuses(t, call, 2))
	})
}
