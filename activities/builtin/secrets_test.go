package builtin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reaflow/reaflow/activities"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testKey = "sk_test_51Hq9zKEYnotarealone"

// authProvider is a payments provider that wants "Bearer testKey" and,
// like some real ones, quotes the credentials it refuses in its answer.
type authProvider struct {
	mu   sync.Mutex
	seen []string // the Authorization header of every call
}

func (p *authProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	p.mu.Lock()
	p.seen = append(p.seen, auth)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	var in ChargeInput
	_ = json.NewDecoder(r.Body).Decode(&in)
	switch {
	case auth != "Bearer "+testKey:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error": {"code": "unauthorized", "message": "invalid credentials: %s"}}`, auth)
	case in.Customer == "cus_echo":
		w.WriteHeader(http.StatusPaymentRequired)
		fmt.Fprintf(w, `{"error": {"code": "card_declined", "message": "declined; request had Authorization: %s"}}`, auth)
	case in.Customer == "cus_busy":
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `busy serving %s`, auth)
	default:
		fmt.Fprintf(w, `{"id": "ch_1", "amount": %v, "currency": "usd", "status": "succeeded"}`, in.Amount)
	}
}

func (p *authProvider) headers() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// withAuthProvider registers the built-ins against an authProvider, with
// the environment (and options) given.
func withAuthProvider(t *testing.T, env map[string]string, opts ...Option) (*activities.Registry, *authProvider) {
	t.Helper()
	p := &authProvider{}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	for _, name := range []string{EnvPaymentsAPIKey, EnvPaymentsAPIKey + "_FILE"} {
		t.Setenv(name, env[name])
	}
	reg := activities.NewRegistry()
	Register(reg, append([]Option{WithProviderURL(srv.URL)}, opts...)...)
	return reg, p
}

func TestAPIKeyIsSentAsBearerToken(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "payments-key")
	require.NoError(t, os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600))
	for name, tt := range map[string]struct {
		env  map[string]string
		opts []Option
	}{
		"from the environment": {env: map[string]string{EnvPaymentsAPIKey: testKey}},
		"from a file":          {env: map[string]string{EnvPaymentsAPIKey + "_FILE": keyFile}},
		"from an option":       {env: map[string]string{EnvPaymentsAPIKey + "_FILE": "/nonexistent"}, opts: []Option{WithPaymentsAPIKey(testKey)}},
	} {
		t.Run(name, func(t *testing.T) {
			reg, p := withAuthProvider(t, tt.env, tt.opts...)
			out, err := call(t, reg, "k-1", "charge", `{"amount": 3, "customer": "cus_1"}`)
			require.NoError(t, err)
			assert.Equal(t, "ch_1", out["id"])
			assert.Equal(t, []string{"Bearer " + testKey}, p.headers())
		})
	}
}

func TestNoAPIKeyNoAuthorization(t *testing.T) {
	reg, p := withAuthProvider(t, nil)
	_, err := call(t, reg, "k-1", "charge", `{"amount": 3, "customer": "cus_1"}`)
	require.Error(t, err)
	assert.Equal(t, "unauthorized", activities.ErrorCode(err))
	assert.Equal(t, []string{""}, p.headers())
}

// A provider that quotes the credentials in its refusal does not get the
// key into the error, which becomes the step's failure in the journal.
func TestAPIKeyIsRedactedFromErrors(t *testing.T) {
	reg, _ := withAuthProvider(t, map[string]string{EnvPaymentsAPIKey: testKey})
	for _, customer := range []string{"cus_echo", "cus_busy"} {
		_, err := call(t, reg, "k-"+customer, "charge", `{"amount": 3, "customer": "`+customer+`"}`)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), testKey)
		assert.Contains(t, err.Error(), "Bearer [redacted]")
	}
}

func TestUnusableAPIKeySettings(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"missing file": {map[string]string{EnvPaymentsAPIKey + "_FILE": "/nonexistent/key"}, "REAFLOW_PAYMENTS_API_KEY_FILE: cannot read /nonexistent/key: no such file or directory"},
		"empty file":   {map[string]string{EnvPaymentsAPIKey + "_FILE": empty}, "REAFLOW_PAYMENTS_API_KEY_FILE: " + empty + " is empty"},
		"both ways":    {map[string]string{EnvPaymentsAPIKey: testKey, EnvPaymentsAPIKey + "_FILE": empty}, "both REAFLOW_PAYMENTS_API_KEY and REAFLOW_PAYMENTS_API_KEY_FILE are set; set one"},
	} {
		t.Run(name, func(t *testing.T) {
			errs := CheckAPIKeys(func(name string) string { return tt.env[name] })
			require.Len(t, errs, 1)
			assert.Equal(t, tt.want, errs[0].Error())
			assert.NotContains(t, errs[0].Error(), testKey)

			// Calls wait (a retryable error) for an endpoint whose setting
			// works, and never reach the provider.
			reg, p := withAuthProvider(t, tt.env)
			_, err := call(t, reg, "k-1", "charge", `{"amount": 3, "customer": "cus_1"}`)
			require.Error(t, err)
			assert.False(t, activities.IsTerminal(err))
			assert.Equal(t, "not_configured", activities.ErrorCode(err))
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, p.headers())
		})
	}
}

// A key formats as [redacted] wherever it might be printed by mistake.
func TestSecretDoesNotPrint(t *testing.T) {
	s := newSecret(testKey)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "key", s, "provider", provider{name: "payments", key: s})
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "key", s)
	encoded, err := json.Marshal(map[string]any{"key": s})
	require.NoError(t, err)
	for _, text := range []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %+v %#v", s, s, s, s, s, s),
		fmt.Sprintf("%+v", provider{name: "payments", key: s}), buf.String(), string(encoded),
	} {
		assert.NotContains(t, text, testKey)
		assert.NotContains(t, text, strings.ToUpper(fmt.Sprintf("%x", testKey))[:8])
	}
	assert.Equal(t, "a [redacted] b", s.redact("a "+testKey+" b"))
}
