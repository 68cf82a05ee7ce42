package builtin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/reaflow/reaflow/activities"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers with what it received; the query "status" sets the
// answer status and "text" switches to a plain-text answer.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		if s := r.URL.Query().Get("status"); s != "" {
			status, _ = strconv.Atoi(s)
		}
		if r.URL.Query().Has("text") {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(status)
			io.WriteString(w, "plain "+r.Method)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{
			"method":         r.Method,
			"idempotencyKey": r.Header.Get("Idempotency-Key"),
			"contentType":    r.Header.Get("Content-Type"),
			"body":           string(body),
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPActivity(t *testing.T) {
	srv := echoServer(t)
	reg := activities.NewRegistry()
	Register(reg)

	tests := []struct {
		name, input string
		status      int
		body        any
	}{
		{"get by default", `{"url": "URL/"}`, 200,
			map[string]any{"method": "GET", "idempotencyKey": "key-1", "contentType": "", "body": ""}},
		{"post for a body", `{"url": "URL/", "body": {"a": 1}}`, 200,
			map[string]any{"method": "POST", "idempotencyKey": "key-1", "contentType": "application/json", "body": `{"a":1}`}},
		{"text body", `{"url": "URL/", "method": "put", "body": "hi"}`, 200,
			map[string]any{"method": "PUT", "idempotencyKey": "key-1", "contentType": "text/plain; charset=utf-8", "body": "hi"}},
		{"headers win", `{"url": "URL/", "body": "<a/>", "headers": {"idempotency-key": "mine", "Content-Type": "application/xml"}}`, 200,
			map[string]any{"method": "POST", "idempotencyKey": "mine", "contentType": "application/xml", "body": "<a/>"}},
		{"text answer", `{"url": "URL/?text"}`, 200, "plain GET"},
		{"expected status", `{"url": "URL/?status=404&text", "expectStatus": [404]}`, 404, "plain GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := strings.ReplaceAll(tt.input, "URL", srv.URL)
			raw, err := reg.Call(stepContext(t, "key-1"), "http", json.RawMessage(input))
			require.NoError(t, err)
			var out HTTPOutput
			require.NoError(t, json.Unmarshal(raw, &out))
			assert.Equal(t, tt.status, out.Status)
			assert.Equal(t, tt.body, out.Body)
		})
	}

	t.Run("headers", func(t *testing.T) {
		raw, err := reg.Call(stepContext(t, "k"), "http", json.RawMessage(`{"url": "`+srv.URL+`"}`))
		require.NoError(t, err)
		var out HTTPOutput
		require.NoError(t, json.Unmarshal(raw, &out))
		assert.Equal(t, "a, b", out.Headers["X-Multi"])
		assert.Equal(t, "application/json; charset=utf-8", out.Headers["Content-Type"])
	})
}

func TestHTTPActivityErrors(t *testing.T) {
	srv := echoServer(t)
	reg := activities.NewRegistry()
	Register(reg)
	tests := []struct {
		name, input string
		code        string // "" means retryable
	}{
		{"server error", `{"url": "URL/?status=502"}`, ""},
		{"throttled", `{"url": "URL/?status=429"}`, ""},
		{"client error", `{"url": "URL/?status=400"}`, "http_400"},
		{"unexpected success", `{"url": "URL/", "expectStatus": [201]}`, "http_200"},
		{"relative url", `{"url": "/path"}`, "invalid_input"},
		{"ftp url", `{"url": "ftp://example.com/x"}`, "invalid_input"},
		{"bad method", `{"url": "URL/", "method": "NO PE"}`, "invalid_input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := strings.ReplaceAll(tt.input, "URL", srv.URL)
			_, err := reg.Call(stepContext(t, "k"), "http", json.RawMessage(input))
			require.Error(t, err)
			assert.Equal(t, tt.code != "", activities.IsTerminal(err), "%v", err)
			assert.Equal(t, tt.code, activities.ErrorCode(err), "%v", err)
		})
	}
}

func TestHTTPActivityAgainstSandbox(t *testing.T) {
	reg, sb, base := withSandbox(t)
	input := `{"url": "` + base + `/payments/charges", "body": {"amount": 5, "customer": "cus_1"}}`
	for range 2 {
		raw, err := reg.Call(stepContext(t, "http-key"), "http", json.RawMessage(input))
		require.NoError(t, err)
		var out HTTPOutput
		require.NoError(t, json.Unmarshal(raw, &out))
		assert.Equal(t, 200, out.Status)
		assert.Equal(t, "ch_000001", out.Body.(map[string]any)["id"])
	}
	l := sb.Ledger()
	assert.Len(t, l.Effects, 1)
	assert.Equal(t, 2, l.Calls["http-key"])

	_, err := reg.Call(stepContext(t, "http-declined"), "http",
		json.RawMessage(`{"url": "`+base+`/payments/charges", "body": {"amount": 5, "customer": "cus_declined"}}`))
	assert.True(t, activities.IsTerminal(err))
	assert.Equal(t, "card_declined", activities.ErrorCode(err))
}
