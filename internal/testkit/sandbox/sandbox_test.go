package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type response struct {
	status int
	header http.Header
	body   string
}

// post sends a provider call; headers alternate names and values.
func post(t *testing.T, srv *httptest.Server, path, key, body string, headers ...string) response {
	t.Helper()
	resp, err := postErr(srv, path, key, body, headers...)
	require.NoError(t, err)
	return resp
}

func postErr(srv *httptest.Server, path, key, body string, headers ...string) (response, error) {
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error apiError `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	return e.Error.Code
}

func field(t *testing.T, body, name string) any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m[name]
}

func newServer(t *testing.T, opts ...Option) (*Sandbox, *httptest.Server) {
	sb := New(opts...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv
}

func TestProviders(t *testing.T) {
	_, srv := newServer(t)
	charge := post(t, srv, "/payments/charges", "setup-charge", `{"amount": 30, "customer": "cus_1"}`)
	require.Equal(t, http.StatusOK, charge.status, charge.body)
	chargeID := field(t, charge.body, "id").(string)
	shipment := post(t, srv, "/shipping/shipments", "setup-ship", `{"orderId": "o1", "address": "1 Main St"}`)
	require.Equal(t, http.StatusOK, shipment.status, shipment.body)
	shipmentID := field(t, shipment.body, "id").(string)

	tests := []struct {
		name, path, body string
		status           int
		code             string         // error code for failures
		fields           map[string]any // expected fields for successes
	}{
		{"charge", "/payments/charges", `{"amount": 42.5, "customer": "cus_2"}`, 200, "",
			map[string]any{"id": "ch_000002", "amount": 42.5, "currency": "usd", "customer": "cus_2", "status": "succeeded"}},
		{"charge currency is lowered", "/payments/charges", `{"amount": 1, "currency": "EUR"}`, 200, "", map[string]any{"currency": "eur"}},
		{"declined customer", "/payments/charges", `{"amount": 5, "customer": "cus_declined"}`, 402, "card_declined", nil},
		{"declined customer prefix", "/payments/charges", `{"amount": 5, "customer": "cus_declined_42"}`, 402, "card_declined", nil},
		{"zero amount", "/payments/charges", `{"amount": 0}`, 400, "parameter_invalid", nil},
		{"amount of the wrong type", "/payments/charges", `{"amount": "5"}`, 400, "parameter_invalid", nil},
		{"not an object", "/payments/charges", `[1]`, 400, "invalid_json", nil},
		{"partial refund", "/payments/refunds", `{"chargeId": "` + chargeID + `", "amount": 10}`, 200, "",
			map[string]any{"chargeId": chargeID, "amount": 10.0, "status": "succeeded"}},
		{"refund of the rest", "/payments/refunds", `{"chargeId": "` + chargeID + `"}`, 200, "", map[string]any{"amount": 20.0}},
		{"refund of a refunded charge", "/payments/refunds", `{"chargeId": "` + chargeID + `"}`, 400, "charge_already_refunded", nil},
		{"refund of an unknown charge", "/payments/refunds", `{"chargeId": "ch_nope"}`, 404, "resource_missing", nil},
		{"refund without charge", "/payments/refunds", `{}`, 400, "parameter_missing", nil},
		{"shipment to an object address", "/shipping/shipments", `{"orderId": "o2", "address": {"line1": "1 Main St"}, "items": [1]}`, 200, "",
			map[string]any{"id": "shp_000002", "orderId": "o2", "trackingNumber": "TRK000000002", "carrier": "sandbox-express", "status": "created"}},
		{"shipment to INVALID", "/shipping/shipments", `{"orderId": "o3", "address": {"line1": "INVALID"}}`, 422, "invalid_address", nil},
		{"shipment without address", "/shipping/shipments", `{"orderId": "o3"}`, 422, "invalid_address", nil},
		{"shipment to an empty address", "/shipping/shipments", `{"address": " "}`, 422, "invalid_address", nil},
		{"cancel", "/shipping/shipments/" + shipmentID + "/cancel", ``, 200, "", map[string]any{"id": shipmentID, "status": "cancelled"}},
		{"cancel unknown", "/shipping/shipments/shp_nope/cancel", `{}`, 404, "resource_missing", nil},
		{"email", "/email/messages", `{"to": "a@example.com", "subject": "Hi", "body": "Hello"}`, 200, "",
			map[string]any{"id": "msg_000001", "status": "queued"}},
		{"email to nowhere", "/email/messages", `{"to": "nobody", "subject": "Hi"}`, 422, "invalid_recipient", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, srv, tt.path, "key-"+tt.name, tt.body)
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

func TestMissingKey(t *testing.T) {
	sb, srv := newServer(t)
	resp := post(t, srv, "/payments/charges", "", `{"amount": 1}`)
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Equal(t, "idempotency_key_missing", errorCode(t, resp.body))
	l := sb.Ledger()
	assert.Empty(t, l.Effects)
	assert.Equal(t, 1, l.Totals.Calls)
}

func TestIdempotentReplay(t *testing.T) {
	tests := []struct {
		name, path, first, again string
		status                   int
	}{
		{"charge", "/payments/charges", `{"amount": 7, "customer": "cus_1"}`, `{"customer":"cus_1","amount":7.0}`, 200},
		{"declined charge", "/payments/charges", `{"amount": 7, "customer": "cus_declined"}`, `{"amount": 7, "customer": "cus_declined"}`, 402},
		{"invalid address", "/shipping/shipments", `{"address": "INVALID"}`, `{"address": "INVALID"}`, 422},
		{"email", "/email/messages", `{"to": "a@b.c"}`, `{"to": "a@b.c"}`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, srv := newServer(t)
			first := post(t, srv, tt.path, "k", tt.first)
			again := post(t, srv, tt.path, "k", tt.again)
			assert.Equal(t, tt.status, first.status)
			assert.Equal(t, first.status, again.status)
			assert.Equal(t, first.body, again.body)
			assert.Empty(t, first.header.Get("Idempotent-Replayed"))
			assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))

			l := sb.Ledger()
			require.Len(t, l.Effects, 1)
			assert.Equal(t, tt.status, l.Effects[0].Status)
			assert.Equal(t, 2, l.Calls["k"])
		})
	}
}

func TestKeyReuse(t *testing.T) {
	tests := []struct {
		name, path, body string
	}{
		{"another body", "/payments/charges", `{"amount": 8}`},
		{"another endpoint", "/email/messages", `{"amount": 7}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, srv := newServer(t)
			require.Equal(t, 200, post(t, srv, "/payments/charges", "k", `{"amount": 7}`).status)
			resp := post(t, srv, tt.path, "k", tt.body)
			assert.Equal(t, http.StatusUnprocessableEntity, resp.status)
			assert.Equal(t, "idempotency_key_reuse", errorCode(t, resp.body))
			assert.Len(t, sb.Ledger().Effects, 1)
		})
	}
}

func TestRefusedRequestIsNotStored(t *testing.T) {
	sb, srv := newServer(t)
	assert.Equal(t, 400, post(t, srv, "/payments/charges", "k", `{"amount": -1}`).status)
	assert.Equal(t, 200, post(t, srv, "/payments/charges", "k", `{"amount": 1}`).status)
	assert.Len(t, sb.Ledger().Effects, 1)
}

func TestConcurrentSameKeyGivesOneEffect(t *testing.T) {
	sb, srv := newServer(t)
	const n = 20
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := postErr(srv, "/payments/charges", "same", `{"amount": 3}`)
			if assert.NoError(t, err) && assert.Equal(t, 200, resp.status) {
				bodies[i] = resp.body
			}
		})
	}
	wg.Wait()
	for _, b := range bodies {
		assert.Equal(t, bodies[0], b)
	}
	l := sb.Ledger()
	assert.Len(t, l.Effects, 1)
	assert.Equal(t, n, l.Calls["same"])
}

func TestLedger(t *testing.T) {
	sb, srv := newServer(t)
	post(t, srv, "/payments/charges", "c1", `{"amount": 10, "customer": "cus_1"}`)
	post(t, srv, "/payments/charges", "c1", `{"amount": 10, "customer": "cus_1"}`)
	post(t, srv, "/payments/charges", "c2", `{"amount": 10, "customer": "cus_declined"}`)
	post(t, srv, "/shipping/shipments", "s1", `{"address": "here"}`)
	post(t, srv, "/shipping/shipments/shp_000001/cancel", "x1", ``)

	get, err := srv.Client().Get(srv.URL + "/sandbox/ledger")
	require.NoError(t, err)
	defer get.Body.Close()
	var l Ledger
	require.NoError(t, json.NewDecoder(get.Body).Decode(&l))

	assert.Equal(t, map[string]int{"c1": 2, "c2": 1, "s1": 1, "x1": 1}, l.Calls)
	assert.Equal(t, Totals{
		Calls: 5, Effects: 4, Succeeded: 3, Failed: 1,
		ByEndpoint: map[string]EndpointTotals{
			"POST /payments/charges":               {Succeeded: 1, Failed: 1},
			"POST /shipping/shipments":             {Succeeded: 1},
			"POST /shipping/shipments/{id}/cancel": {Succeeded: 1},
		},
	}, l.Totals)
	first := l.Effects[0]
	assert.Equal(t, "payments", first.Provider)
	assert.Equal(t, "ch_000001", first.ObjectID)
	assert.JSONEq(t, `{"amount": 10, "customer": "cus_1"}`, string(first.Request))
	assert.Equal(t, "/shipping/shipments/shp_000001/cancel", l.Effects[3].Path)
	assert.Len(t, l.EffectsFor("c2"), 1)

	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/sandbox/ledger", nil)
	del, err := srv.Client().Do(req)
	require.NoError(t, err)
	del.Body.Close()
	assert.Equal(t, http.StatusNoContent, del.StatusCode)
	// A late retry after the reset still replays: no second effect.
	assert.Equal(t, 200, post(t, srv, "/payments/charges", "c1", `{"amount": 10, "customer": "cus_1"}`).status)
	l = sb.Ledger()
	assert.Empty(t, l.Effects)
	assert.Equal(t, map[string]int{"c1": 1}, l.Calls)
}

func TestStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	base, err := New().Start(ctx, "")
	require.NoError(t, err)

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	l, err := FetchLedger(ctx, base)
	require.NoError(t, err)
	assert.Empty(t, l.Effects)

	cancel()
	require.Eventually(t, func() bool {
		_, err := http.Get(base + "/healthz")
		return err != nil
	}, testTimeout, testTick)
}
