package builtin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reaflow/reaflow/activities"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withSandbox registers the built-ins against a fresh sandbox.
func withSandbox(t *testing.T, opts ...sandbox.Option) (*activities.Registry, *sandbox.Sandbox, string) {
	t.Helper()
	sb := sandbox.New(opts...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	reg := activities.NewRegistry()
	Register(reg, WithProviderURL(srv.URL))
	return reg, sb, srv.URL
}

func stepContext(t *testing.T, key string) *activities.Context {
	return activities.NewContext(t.Context(), activities.Context{IdempotencyKey: key, WorkflowID: "wf-1", StepID: "step"}, nil)
}

// call runs an activity and decodes its output into a map.
func call(t *testing.T, reg *activities.Registry, key, name, input string) (map[string]any, error) {
	t.Helper()
	raw, err := reg.Call(stepContext(t, key), name, json.RawMessage(input))
	if err != nil {
		return nil, err
	}
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out))
	return out, nil
}

func TestBuiltinsHappyPath(t *testing.T) {
	reg, sb, _ := withSandbox(t)

	charged, err := call(t, reg, "k-charge", "charge", `{"amount": 42.5, "customer": "cus_1"}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "ch_000001", "amount": 42.5, "currency": "usd", "customer": "cus_1", "status": "succeeded"}, charged)

	refunded, err := call(t, reg, "k-refund", "refund", `{"chargeId": "ch_000001", "amount": 2.5}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "re_000001", "chargeId": "ch_000001", "amount": 2.5, "currency": "usd", "status": "succeeded"}, refunded)

	shipped, err := call(t, reg, "k-ship", "ship", `{"orderId": "o-1", "address": {"line1": "1 Main St"}, "items": ["book"]}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "shp_000001", "trackingNumber": "TRK000000001", "carrier": "sandbox-express", "status": "created"}, shipped)

	cancelled, err := call(t, reg, "k-cancel", "cancelShipment", `{"shipmentId": "shp_000001"}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "shp_000001", "status": "cancelled"}, cancelled)

	sent, err := call(t, reg, "k-email", "email", `{"to": "ada@example.com", "subject": "Order o-1", "body": "Shipped."}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "msg_000001", "status": "queued"}, sent)

	assert.Equal(t, 5, sb.Ledger().Totals.Succeeded)
}

func TestBuiltinSendsOneKeyForOneEffect(t *testing.T) {
	reg, sb, _ := withSandbox(t)
	ctx := stepContext(t, "wf-1/steps/0")
	first, err := reg.Call(ctx, "charge", json.RawMessage(`{"amount": 10}`))
	require.NoError(t, err)
	again, err := reg.Call(ctx, "charge", json.RawMessage(`{"amount": 10}`))
	require.NoError(t, err)
	assert.JSONEq(t, string(first), string(again))

	l := sb.Ledger()
	require.Len(t, l.Effects, 1)
	assert.Equal(t, "wf-1/steps/0", l.Effects[0].IdempotencyKey)
	assert.Equal(t, map[string]int{"wf-1/steps/0": 2}, l.Calls)
}

func TestBuiltinErrors(t *testing.T) {
	reg, sb, _ := withSandbox(t,
		sandbox.WithFaults(
			sandbox.FaultRule{IdempotencyKey: "unavailable", Status: 503},
			sandbox.FaultRule{IdempotencyKey: "throttled", Status: 429},
		))
	tests := []struct {
		name, key, activity, input string
		code                       string // "" means retryable
	}{
		{"unavailable", "unavailable", "charge", `{"amount": 1}`, ""},
		{"throttled", "throttled", "email", `{"to": "a@b"}`, ""},
		{"declined", "declined", "charge", `{"amount": 1, "customer": "cus_declined"}`, "card_declined"},
		{"invalid amount", "bad-amount", "charge", `{"amount": -1}`, "parameter_invalid"},
		{"unknown charge", "unknown-charge", "refund", `{"chargeId": "ch_nope"}`, "resource_missing"},
		{"invalid address", "bad-address", "ship", `{"address": "INVALID street"}`, "invalid_address"},
		{"no shipment id", "no-shipment", "cancelShipment", `{}`, "invalid_input"},
		{"invalid recipient", "bad-to", "email", `{"to": "nobody"}`, "invalid_recipient"},
		{"unknown input field", "typo", "charge", `{"amount": 1, "cusotmer": "x"}`, "invalid_input"},
		{"no idempotency key", "", "charge", `{"amount": 1}`, "idempotency_key_missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := call(t, reg, tt.key, tt.activity, tt.input)
			require.Error(t, err)
			assert.Equal(t, tt.code != "", activities.IsTerminal(err), "terminal: %v", err)
			assert.Equal(t, tt.code, activities.ErrorCode(err), "%v", err)
		})
	}
	assert.Equal(t, 1, sb.Ledger().Calls["declined"])
}

func TestBuiltinTransportErrorsAreRetryable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	slow := httptest.NewServer(sandbox.New(sandbox.WithFaults(sandbox.FaultRule{Latency: sandbox.Duration(time.Minute)})))
	t.Cleanup(slow.Close)

	tests := []struct {
		name string
		opts []Option
	}{
		{"connection refused", []Option{WithProviderURL(closed.URL)}},
		{"timeout", []Option{WithProviderURL(slow.URL), WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := activities.NewRegistry()
			Register(reg, tt.opts...)
			_, err := call(t, reg, "k", "email", `{"to": "a@b"}`)
			require.Error(t, err)
			assert.False(t, activities.IsTerminal(err), "%v", err)
		})
	}
}

func TestBuiltinProviderURLs(t *testing.T) {
	_, _, base := withSandbox(t)

	t.Run("unset", func(t *testing.T) {
		t.Setenv(EnvShippingURL, "")
		reg := activities.NewRegistry()
		Register(reg)
		_, err := call(t, reg, "k", "ship", `{"address": "here"}`)
		assert.False(t, activities.IsTerminal(err), "retried until the endpoint is configured")
		assert.Equal(t, "not_configured", activities.ErrorCode(err))
		assert.Contains(t, err.Error(), EnvShippingURL)
	})
	t.Run("from the environment", func(t *testing.T) {
		t.Setenv(EnvEmailURL, base+"/email")
		reg := activities.NewRegistry()
		Register(reg)
		_, err := call(t, reg, "k-env", "email", `{"to": "a@b"}`)
		assert.NoError(t, err)
	})
	t.Run("one option per provider", func(t *testing.T) {
		reg := activities.NewRegistry()
		Register(reg, WithPaymentsURL(base+"/payments/"), WithShippingURL(base+"/shipping"), WithEmailURL(base+"/email"))
		for _, c := range []struct{ activity, input string }{
			{"charge", `{"amount": 1}`},
			{"ship", `{"address": "here"}`},
			{"email", `{"to": "a@b"}`},
		} {
			_, err := call(t, reg, "k-opt-"+c.activity, c.activity, c.input)
			assert.NoError(t, err, c.activity)
		}
	})
}

func TestRegisterNames(t *testing.T) {
	reg := activities.NewRegistry()
	Register(reg)
	assert.Equal(t, []string{"book", "cancelBooking", "cancelShipment", "charge", "email", "http", "refund", "ship"}, reg.Names())
	for _, name := range reg.Names() {
		assert.NotEmpty(t, reg.Description(name), name)
		assert.False(t, strings.HasSuffix(reg.Description(name), " "), name)
	}
}
