package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/reaflow/reaflow/activities"
)

// maxResponseBody caps what a built-in reads. A larger answer is refused,
// not truncated: truncated JSON would be misread.
const maxResponseBody = 1 << 20

// provider is the HTTP API behind a group of built-in activities.
type provider struct {
	name    string // "payments"
	baseURL string
	setting string // how to set baseURL, for the error when it is empty
	client  *http.Client
	key     secret // sent as a bearer token, when set
	keyErr  error  // why the configured key cannot be used
}

// post sends in as JSON to the provider's path with the step's idempotency
// key and decodes a 2xx answer as O.
func post[O any](ctx *activities.Context, p provider, path string, in any) (O, error) {
	var out O
	if p.baseURL == "" {
		// Retryable: the step waits (Restate backs off) until the endpoint
		// is restarted with the URL set, instead of failing the run.
		return out, &activities.Error{Code: "not_configured", Message: fmt.Sprintf("the %s provider URL is not set: set %s", p.name, p.setting)}
	}
	if p.keyErr != nil {
		// Retryable, like a missing URL: the step waits for an endpoint
		// whose key setting works.
		return out, &activities.Error{Code: "not_configured", Message: fmt.Sprintf("the %s provider's API key: %v", p.name, p.keyErr)}
	}
	if ctx.IdempotencyKey == "" {
		// Without a key a retry after a lost answer would repeat the effect.
		return out, activities.TerminalErrorf("idempotency_key_missing", "%s: the activity context has no idempotency key", p.name)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return out, activities.Terminal(fmt.Errorf("%s: encode request: %w", p.name, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(p.baseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return out, activities.TerminalErrorf("not_configured", "%s provider URL %q: %v", p.name, redactURL(p.baseURL), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ctx.IdempotencyKey)
	if key := p.key.value(); key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	status, _, answer, err := send(p.client, req)
	if err != nil {
		return out, p.scrub(err)
	}
	if status < 200 || status > 299 {
		return out, p.scrub(responseError(p.name, status, answer))
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		// A replay of the same key would return the same answer, so
		// retrying cannot help.
		return out, &activities.Error{Code: "invalid_response", Message: fmt.Sprintf("%s: decode answer: %v", p.name, err), Terminal: true, Err: err}
	}
	return out, nil
}

// scrub removes the provider's key from an error's message: the messages
// quote the provider's answer, and a provider may echo the credentials it
// was sent.
func (p provider) scrub(err error) error {
	if err == nil || p.key.value() == "" || !strings.Contains(err.Error(), p.key.value()) {
		return err
	}
	var e *activities.Error
	if errors.As(err, &e) {
		return &activities.Error{Code: e.Code, Message: p.key.redact(e.Message), Terminal: e.Terminal}
	}
	return errors.New(p.key.redact(err.Error()))
}

// send makes the request and reads the whole answer. Network errors and
// timeouts come back as they are: retryable.
func send(client *http.Client, req *http.Request) (status int, header http.Header, body []byte, err error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Redacted(), err)
	}
	if len(body) > maxResponseBody {
		return 0, nil, nil, activities.TerminalErrorf("response_too_large", "%s %s: answer larger than %d bytes", req.Method, req.URL.Redacted(), maxResponseBody)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// responseError is the one place that decides whether an unwanted HTTP
// status is worth retrying. Only the decision is made here: when to retry
// is the step's retry policy, run by Restate, so Retry-After is ignored.
func responseError(who string, status int, body []byte) error {
	if status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests || status >= 500 {
		return fmt.Errorf("%s: status %d: %s", who, status, snippet(body))
	}
	code, message := providerError(body)
	if code == "" {
		code = fmt.Sprintf("http_%d", status)
	}
	if message == "" {
		message = snippet(body)
	}
	return &activities.Error{Code: code, Message: fmt.Sprintf("%s: status %d: %s", who, status, message), Terminal: true}
}

// providerError reads the code and message of a JSON error answer shaped
// {"error": {"code", "message"}} (Stripe and the sandbox) or
// {"code", "message"}.
func providerError(body []byte) (code, message string) {
	type fields struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	var answer struct {
		fields
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return "", ""
	}
	var nested fields
	if json.Unmarshal(answer.Error, &nested) == nil && nested.Code != "" {
		return nested.Code, nested.Message
	}
	return answer.Code, answer.Message
}

// snippet shortens an answer body for an error message.
func snippet(body []byte) string {
	const limit = 200
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" {
		return "(empty body)"
	}
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
