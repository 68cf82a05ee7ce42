// Package admin is a small client for Restate's admin API: registering a
// service endpoint, querying the introspection tables with SQL and
// cancelling invocations.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var (
	// ErrInvocationNotFound means Restate knows no invocation with the id.
	ErrInvocationNotFound = errors.New("no such invocation")
	// ErrInvocationCompleted means the invocation has already ended.
	ErrInvocationCompleted = errors.New("the invocation has already completed")
)

// APIError is an error answer of the admin API.
type APIError struct {
	Method, Path string
	// StatusCode is the HTTP status, such as 404; Status its text.
	StatusCode int
	Status     string
	// Message is the "message" field of the answer, or the whole answer
	// when it has none.
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.Path, e.Status, e.Message)
}

// UnreachableError means a request to Restate got no answer at all: no
// connection, or one lost before the answer.
type UnreachableError struct {
	// API is "ingress" or "admin API"; URL the address (or addresses)
	// the request was for.
	API, URL string
	Err      error
}

func (e *UnreachableError) Error() string {
	flag := strings.Fields(e.API)[0]
	return fmt.Sprintf("restate %s at %s is not reachable (start one with 'reaflow dev', or set --%s / REAFLOW_%s_URL): %v",
		e.API, e.URL, flag, strings.ToUpper(flag), e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Client talks to one Restate admin URL.
type Client struct {
	URL string
	// Token, when set, is sent as a bearer token (a secured Restate).
	Token string
	HTTP  *http.Client
}

// New returns a client for the admin API at url.
func New(url, token string) *Client {
	return &Client{URL: strings.TrimRight(url, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// RegisterDeployment tells Restate about a service endpoint. With force, an
// endpoint already registered at the URL is replaced even if its services
// changed; Restate warns that this can break invocations in flight, so it
// suits local stacks and tests, not production.
func (c *Client) RegisterDeployment(ctx context.Context, endpointURL string, force bool) error {
	body, _ := json.Marshal(map[string]any{"uri": endpointURL, "force": force})
	return c.do(ctx, http.MethodPost, "/deployments", body, nil)
}

// Query runs a SQL query against the introspection tables (sys_invocation,
// sys_journal, ...) and returns the rows as JSON objects.
func (c *Client) Query(ctx context.Context, sql string) ([]map[string]any, error) {
	body, _ := json.Marshal(map[string]string{"query": sql})
	var result struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := c.do(ctx, http.MethodPost, "/query", body, &result); err != nil {
		return nil, err
	}
	return result.Rows, nil
}

// CancelInvocation asks Restate to cancel an invocation in flight. Restate
// then fails the invocation's pending or next operation with a terminal
// "cancelled" error, so the handler can run its compensations before it
// ends; the call returns once Restate has accepted the cancellation, not
// when the invocation has ended. The error wraps ErrInvocationNotFound for
// an unknown id and ErrInvocationCompleted for an invocation that has
// already ended.
func (c *Client) CancelInvocation(ctx context.Context, invocationID string) error {
	err := c.do(ctx, http.MethodPatch, "/invocations/"+url.PathEscape(invocationID)+"/cancel", nil, nil)
	var answer *APIError
	if errors.As(err, &answer) {
		switch answer.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%w %s: %s", ErrInvocationNotFound, invocationID, answer.Message)
		case http.StatusConflict:
			return fmt.Errorf("%w: %s", ErrInvocationCompleted, answer.Message)
		}
	}
	return err
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return &UnreachableError{API: "admin API", URL: c.URL, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		answer := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Status: resp.Status, Message: strings.TrimSpace(string(data))}
		var body struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &body) == nil && body.Message != "" {
			answer.Message = body.Message
		}
		return answer
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}
