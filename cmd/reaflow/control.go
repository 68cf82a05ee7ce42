package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/reaflow/reaflow/interpreter"
)

// invocation is what the admin API says about one invocation: enough for
// the commands that act on a run or a callback to explain themselves.
type invocation struct {
	ID      string
	Service string
	Key     string
	Handler string
	// Status is Restate's word for it: pending, scheduled, running,
	// backing-off, suspended, paused, completed, ...
	Status string
	// Result is "success" or "failure" once it has completed; Failure is
	// the error it failed with.
	Result  string
	Failure string
}

func (inv *invocation) completed() bool { return inv.Status == "completed" }

// outcome names how a completed invocation ended, in reaflow's words.
func (inv *invocation) outcome() string {
	if inv.Result == "success" {
		return "done"
	}
	return "failed"
}

// errNoInvocation means the admin API knows no invocation that matches.
var errNoInvocation = errors.New("no such invocation")

// findRun returns the invocation of the Run handler of the run with the
// given workflow id.
func findRun(ctx context.Context, target *restateFlags, id string) (*invocation, error) {
	return findInvocation(ctx, target, fmt.Sprintf(
		"target_service_name = %s AND target_service_key = %s AND target_handler_name = 'Run'",
		sqlString(interpreter.WorkflowService), sqlString(id)))
}

// findInvocationByID returns the invocation with the given invocation id.
func findInvocationByID(ctx context.Context, target *restateFlags, id string) (*invocation, error) {
	return findInvocation(ctx, target, "id = "+sqlString(id))
}

func findInvocation(ctx context.Context, target *restateFlags, where string) (*invocation, error) {
	rows, err := target.adminClient().Query(ctx, `SELECT id, target_service_name, target_service_key, target_handler_name,
		status, completion_result, completion_failure FROM sys_invocation WHERE `+where)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errNoInvocation
	}
	text := func(k string) string { s, _ := rows[0][k].(string); return s }
	return &invocation{
		ID: text("id"), Service: text("target_service_name"), Key: text("target_service_key"),
		Handler: text("target_handler_name"), Status: text("status"), Result: text("completion_result"),
		Failure: text("completion_failure"),
	}, nil
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ingressAnswer is an error answer of the Restate ingress to a plain HTTP
// request.
type ingressAnswer struct {
	status  int
	message string
}

func (e *ingressAnswer) Error() string { return fmt.Sprintf("[%d] %s", e.status, e.message) }

// postIngress POSTs body to the ingress path (such as
// "/restate/awakeables/ID/resolve") with the bearer token. An error answer
// is an *ingressAnswer carrying Restate's message; no answer at all is
// explained by restateFlags.unreachable.
func (f *restateFlags) postIngress(ctx context.Context, path, contentType string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.ingressURL()+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := f.ingressHTTPClient().Do(req)
	if err != nil {
		return f.unreachable(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	answer := &ingressAnswer{status: resp.StatusCode, message: strings.TrimSpace(string(data))}
	var errBody struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &errBody) == nil && errBody.Message != "" {
		answer.message = errBody.Message
	}
	if answer.message == "" {
		answer.message = resp.Status
	}
	return answer
}
