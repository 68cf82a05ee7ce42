package builtin

import (
	"strings"
	"testing"

	"github.com/reaflow/reaflow/activities"

	"github.com/stretchr/testify/assert"
)

func TestResponseError(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		code    string // "" means retryable
		message string // part of the error text
	}{
		{"request timeout", 408, ``, "", "status 408: (empty body)"},
		{"conflict", 409, `{"error":{"code":"idempotency_key_in_use"}}`, "", "idempotency_key_in_use"},
		{"throttled", 429, `slow down`, "", "status 429: slow down"},
		{"server error", 500, `{"error":{"code":"oops"}}`, "", "status 500"},
		{"unavailable", 503, `<html>  busy  </html>`, "", "status 503: <html> busy </html>"},
		{"declined", 402, `{"error":{"type":"card_error","code":"card_declined","message":"Your card was declined."}}`,
			"card_declined", "payments: status 402: Your card was declined."},
		{"invalid address", 422, `{"error":{"code":"invalid_address","message":"no such street"}}`, "invalid_address", "no such street"},
		{"flat error object", 400, `{"code":"bad_thing","message":"bad"}`, "bad_thing", "bad"},
		{"error string", 400, `{"error":"bad"}`, "http_400", `{"error":"bad"}`},
		{"text", 404, `not found`, "http_404", "status 404: not found"},
		{"empty", 401, ``, "http_401", "(empty body)"},
		{"unexpected success", 200, `{}`, "http_200", "status 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := responseError("payments", tt.status, []byte(tt.body))
			assert.Equal(t, tt.code != "", activities.IsTerminal(err))
			assert.Equal(t, tt.code, activities.ErrorCode(err))
			assert.Contains(t, err.Error(), tt.message)
		})
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	got := snippet([]byte(long))
	assert.True(t, strings.HasSuffix(got, "…"))
	assert.LessOrEqual(t, len(got), 200+len("…"))
	assert.Equal(t, strings.Repeat("é", 100)+"…", got, "cut on a rune boundary")
}
