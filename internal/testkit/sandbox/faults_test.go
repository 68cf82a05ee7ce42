package sandbox

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testTimeout = 5 * time.Second
	testTick    = 10 * time.Millisecond
)

func statuses(t *testing.T, srv func() response, n int) []int {
	t.Helper()
	var got []int
	for range n {
		got = append(got, srv().status)
	}
	return got
}

func TestFailTimesThenSucceed(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		headers []string
	}{
		{"headers", nil, []string{"Sandbox-Fail", "503", "Sandbox-Fail-Times", "2"}},
		{"rule", []Option{WithFaults(FaultRule{Path: "/payments/charges", Times: 2, Status: 503})}, nil},
		{"rule by provider", []Option{WithFaults(FaultRule{Provider: "payments", Times: 2, Status: 503})}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, srv := newServer(t, tt.opts...)
			for _, key := range []string{"a", "b"} {
				call := func() response { return post(t, srv, "/payments/charges", key, `{"amount": 1}`, tt.headers...) }
				assert.Equal(t, []int{503, 503, 200, 200}, statuses(t, call, 4), key)
			}
			l := sb.Ledger()
			assert.Len(t, l.Effects, 2)
			assert.Equal(t, map[string]int{"a": 4, "b": 4}, l.Calls)
		})
	}
}

func TestRuleMatching(t *testing.T) {
	rules := []FaultRule{
		{Path: "/shipping/shipments/*/cancel", Status: 500},
		{IdempotencyKey: "unlucky", Status: 502},
		{Customer: "cus_flaky", Status: 504},
		{Provider: "email", Customer: "cus_flaky", Status: 400},
	}
	tests := []struct {
		path, key, body string
		status          int
	}{
		{"/shipping/shipments/shp_1/cancel", "k1", ``, 500},
		{"/shipping/shipments", "k2", `{"address": "x"}`, 200},
		{"/email/messages", "unlucky", `{"to": "a@b"}`, 502},
		{"/payments/charges", "k3", `{"amount": 1, "customer": "cus_flaky"}`, 504},
		{"/payments/charges", "k4", `{"amount": 1, "customer": "cus_fine"}`, 200},
	}
	_, srv := newServer(t, WithFaults(rules...))
	for _, tt := range tests {
		resp := post(t, srv, tt.path, tt.key, tt.body)
		assert.Equal(t, tt.status, resp.status, "%s %s", tt.path, tt.key)
	}
}

func TestInjected429CarriesRetryAfter(t *testing.T) {
	_, srv := newServer(t)
	resp := post(t, srv, "/email/messages", "k", `{"to": "a@b"}`, "Sandbox-Fail", "429")
	assert.Equal(t, http.StatusTooManyRequests, resp.status)
	assert.Equal(t, "1", resp.header.Get("Retry-After"))
	assert.Equal(t, "sandbox_fault", errorCode(t, resp.body))
}

func TestFailAfterEffect(t *testing.T) {
	sb, srv := newServer(t, WithFaults(FaultRule{Path: "/payments/charges", Times: 1, AfterEffect: true}))
	first := post(t, srv, "/payments/charges", "k", `{"amount": 1}`)
	assert.Equal(t, http.StatusInternalServerError, first.status)
	retry := post(t, srv, "/payments/charges", "k", `{"amount": 1}`)
	assert.Equal(t, http.StatusOK, retry.status)
	assert.Equal(t, "ch_000001", field(t, retry.body, "id"))

	l := sb.Ledger()
	require.Len(t, l.Effects, 1)
	assert.Equal(t, "rule 1", l.Effects[0].Fault)
	assert.Equal(t, 2, l.Calls["k"])
}

func TestDrop(t *testing.T) {
	tests := []struct {
		name    string
		rule    FaultRule
		effects int
	}{
		{"before the effect", FaultRule{Drop: true, Times: 1}, 0},
		{"after the effect", FaultRule{Drop: true, AfterEffect: true, Times: 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, srv := newServer(t, WithFaults(tt.rule))
			_, err := postErr(srv, "/email/messages", "k", `{"to": "a@b"}`)
			require.Error(t, err)
			assert.Len(t, sb.Ledger().Effects, tt.effects)
			assert.Equal(t, 200, post(t, srv, "/email/messages", "k", `{"to": "a@b"}`).status)
			assert.Len(t, sb.Ledger().Effects, 1)
		})
	}
}

func TestHoldAfterEffect(t *testing.T) {
	sb, srv := newServer(t, WithFaults(FaultRule{HoldAfterEffect: Duration(time.Minute)}))
	// The caller gives up (or is killed) while the answer is held; the
	// effect is already in the ledger, and the held handler ends with the
	// connection instead of sleeping on (srv.Close would wait for it).
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/payments/charges", strings.NewReader(`{"amount": 1}`))
		req.Header.Set("Idempotency-Key", "k")
		_, err := srv.Client().Do(req)
		errs <- err
	}()
	require.Eventually(t, func() bool { return len(sb.Ledger().Effects) == 1 }, testTimeout, testTick)
	cancel()
	require.Error(t, <-errs)
	assert.Equal(t, "rule 1", sb.Ledger().Effects[0].Fault)
}

func TestDeclineRule(t *testing.T) {
	sb, srv := newServer(t, WithFaults(FaultRule{Customer: "cus_x", Decline: true}), WithDeclinedCustomers("cus_y"))
	assert.Equal(t, 402, post(t, srv, "/payments/charges", "k1", `{"amount": 1, "customer": "cus_x"}`).status)
	// The decline is stored: the same key keeps answering 402.
	assert.Equal(t, 402, post(t, srv, "/payments/charges", "k1", `{"amount": 1, "customer": "cus_x"}`).status)
	assert.Equal(t, 200, post(t, srv, "/payments/charges", "k2", `{"amount": 1, "customer": "cus_z"}`).status)
	assert.Equal(t, 402, post(t, srv, "/payments/charges", "k3", `{"amount": 1, "customer": "cus_y"}`).status)
	assert.Equal(t, 2, sb.Ledger().Totals.Failed)
}

func TestProbabilityIsSeeded(t *testing.T) {
	run := func() []int {
		_, srv := newServer(t, WithFaults(FaultRule{Probability: 0.5, Seed: 7, Status: 503}))
		call := func() response { return post(t, srv, "/email/messages", "k", `{"to": "a@b"}`) }
		return statuses(t, call, 20)
	}
	first := run()
	assert.Equal(t, first, run())
	assert.Contains(t, first, 503)
	assert.Contains(t, first, 200)
}

func TestFaultsEndpoint(t *testing.T) {
	sb, srv := newServer(t)
	send := func(method, body string) response {
		req, err := http.NewRequest(method, srv.URL+"/sandbox/faults", strings.NewReader(body))
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return response{status: resp.StatusCode}
	}
	assert.Equal(t, 200, send(http.MethodPost, `{"path": "/payments/charges", "times": 2, "status": 503, "latency": "1ms"}`).status)
	assert.Equal(t, 200, send(http.MethodPost, `[{"provider": "email", "afterEffect": true}, {"holdAfterEffect": "2s", "times": 1}]`).status)
	assert.Equal(t, []FaultRule{
		{ID: 1, Path: "/payments/charges", Times: 2, Status: 503, Latency: Duration(time.Millisecond)},
		{ID: 2, Provider: "email", AfterEffect: true, Status: 500},
		{ID: 3, HoldAfterEffect: Duration(2 * time.Second), Times: 1},
	}, sb.Faults())

	for _, bad := range []string{
		`{"stauts": 503}`,
		`{}`,
		`{"status": 200}`,
		`{"status": 503, "drop": true}`,
		`{"decline": true, "status": 402}`,
		`{"status": 503, "holdAfterEffect": "1s"}`,
		`{"probability": 2, "status": 503}`,
		`{"latency": 5}`,
		`{"path": "[", "status": 503}`,
		`[{"status": 503}, {"status": 1}]`,
	} {
		assert.Equal(t, 400, send(http.MethodPost, bad).status, bad)
	}
	assert.Len(t, sb.Faults(), 3, "a rejected batch adds nothing")
	assert.Error(t, sb.AddFaults(FaultRule{Times: 1}))
	assert.NoError(t, sb.AddFaults(FaultRule{Status: 500}))
	assert.Len(t, sb.Faults(), 4)

	assert.Equal(t, http.StatusNoContent, send(http.MethodDelete, "").status)
	assert.Empty(t, sb.Faults())
}

func TestLatencyHeader(t *testing.T) {
	sb, srv := newServer(t)
	resp := post(t, srv, "/email/messages", "k", `{"to": "a@b"}`, "Sandbox-Latency", "1ms")
	assert.Equal(t, 200, resp.status)
	assert.Len(t, sb.Ledger().Effects, 1)
}

func TestBadFaultHeaders(t *testing.T) {
	_, srv := newServer(t)
	for _, h := range [][]string{
		{"Sandbox-Fail", "often"},
		{"Sandbox-Fail", "200"},
		{"Sandbox-Latency", "soon"},
		{"Sandbox-Fail-After-Effect", "maybe"},
	} {
		resp := post(t, srv, "/email/messages", "k", `{"to": "a@b"}`, h...)
		assert.Equal(t, 400, resp.status, h)
		assert.Equal(t, "sandbox_header_invalid", errorCode(t, resp.body))
	}
}
