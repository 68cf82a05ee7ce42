package client

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

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/interpreter"
)

// Signal sends the run the named signal with a JSON payload (nil for
// null), which completes the run's await step of that name, or waits for
// it if the step has not started. The errors: ErrNotFound for an unknown
// run, ErrFinished for one that has ended, and a *RefusedError when the
// run has no such await step, the payload fails the step's schema or
// the signal was delivered already.
func (c *Client) Signal(ctx context.Context, id, name string, payload json.RawMessage) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	// The admin API tells an unknown or finished run apart before anything
	// is sent. When it cannot be asked, the ingress alone decides.
	inv, err := runstatus.LookupRun(ctx, c.admin, id)
	switch {
	case errors.Is(err, runstatus.ErrNoInvocation):
		return &NotFoundError{What: "run", Name: id}
	case err == nil && inv.Completed():
		return &FinishedError{Invocation: *inv, State: inv.Outcome()}
	}
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	_, err = ingress.Workflow[interpreter.SignalRequest, restate.Void](c.ingress, interpreter.WorkflowService, id, "Signal").
		Request(ctx, interpreter.SignalRequest{Name: name, Payload: payload})
	var answer ingress.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &answer):
		return &RefusedError{Code: int(answer.Code()), Message: answer.Message(), ByRun: answer.IsInvocationError()}
	}
	return c.unreachable(err)
}

// Callback is a callback that Resolve or Reject completed.
type Callback struct {
	ID string
	// Owner is the invocation that created the callback and waits for
	// it; nil when it could not be looked up.
	Owner *Invocation
	// Unchecked says why Owner could not be looked up (the admin API did
	// not answer); the completion was sent all the same, and Restate
	// takes one for any well-formed id.
	Unchecked error
}

// Resolve completes the callback with a JSON value (nil for null): the
// step that waits for it gets the value as its output. Restate accepts a
// completion for any well-formed id without saying whether anything
// waits for it, so the invocation that created the callback, named in
// the id, is looked up first: ErrNotFound when there is none, ErrFinished
// when it has ended, and nothing is sent.
func (c *Client) Resolve(ctx context.Context, id string, value json.RawMessage) (*Callback, error) {
	if value == nil {
		value = json.RawMessage("null")
	}
	return c.complete(ctx, id, "resolve", "application/json", value)
}

// Reject fails the callback with a message: the step that waits for it
// fails with the code "callback_rejected". Errors as for Resolve.
func (c *Client) Reject(ctx context.Context, id, message string) (*Callback, error) {
	return c.complete(ctx, id, "reject", "text/plain; charset=utf-8", []byte(message))
}

func (c *Client) complete(ctx context.Context, id, verb, contentType string, body []byte) (*Callback, error) {
	if id == "" {
		return nil, errors.New("the callback id is empty")
	}
	cb := &Callback{ID: id}
	if invID := runstatus.CallbackInvocation(id); invID != "" {
		inv, err := runstatus.LookupInvocation(ctx, c.admin, invID)
		switch {
		case errors.Is(err, runstatus.ErrNoInvocation):
			return nil, &NotFoundError{What: "callback", Name: id}
		case err == nil && inv.Completed():
			return nil, &FinishedError{Invocation: *inv, State: inv.Outcome()}
		case err == nil:
			cb.Owner = inv
		default:
			cb.Unchecked = err
		}
	}
	if err := c.post(ctx, "/restate/awakeables/"+url.PathEscape(id)+"/"+verb, contentType, body); err != nil {
		return nil, err
	}
	return cb, nil
}

// post POSTs body to the ingress path, outside the ingress client, which
// sends JSON only. An error answer is a *RefusedError with Restate's
// message.
func (c *Client) post(ctx context.Context, path, contentType string, body []byte) error {
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.ingressBase+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	if c.cfg.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.token)
	}
	resp, err := c.ingressHTTP.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	answer := &RefusedError{Code: resp.StatusCode, Message: strings.TrimSpace(string(data))}
	var errBody struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &errBody) == nil && errBody.Message != "" {
		answer.Message = errBody.Message
	}
	if answer.Message == "" {
		answer.Message = resp.Status
	}
	return answer
}
