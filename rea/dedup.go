package rea

import (
	"encoding/json"
	"errors"

	restate "github.com/restatedev/sdk-go"
)

// dedupStateKey holds the recorded outcome in each dedup object.
const dedupStateKey = "outcome"

// DedupOutcome is what a dedup object records for its key: the output of
// the first successful run, as JSON, or the terminal error it ended with.
// It is not generic on purpose: Restate publishes a JSON schema per handler
// type, and instantiated generic type names are not valid schema ids.
type DedupOutcome struct {
	Output json.RawMessage `json:"output,omitempty"`
	Error  *DedupError     `json:"error,omitempty"`
}

// DedupError is a recorded terminal failure.
type DedupError struct {
	Code     restate.Code      `json:"code"`
	Message  string            `json:"message"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Err rebuilds the recorded failure as a terminal error.
func (e *DedupError) Err() error {
	return restate.ToTerminalError(errors.New(e.Message), restate.WithErrorCode(e.Code), restate.WithMetadataMap(e.Metadata))
}

// NewDedupObject returns a Restate virtual object named name whose
// exclusive handler "Run" calls fn at most once per object key, across all
// callers. Restate runs exclusive handlers of one key one at a time, so
// the check of the record and the run that writes it cannot interleave:
// the second caller waits for the first and then reads its outcome.
//
// A terminal error from fn for which final reports true is recorded too, so
// the key never runs again: a declined card stays declined. Other terminal
// errors (retries used up during an outage, say) are returned to the caller
// without a record, so a later caller with the same key tries again; a
// retryable error is not recorded either, and Restate retries the call.
//
// The object is ingress-private: only other services can call it. A record
// is trusted by every later caller of its key, so a caller from outside
// who could run fn with an input of their own would decide what those
// callers get.
func NewDedupObject[I any](name string, fn func(ctx restate.ObjectContext, input I) (json.RawMessage, error), final func(restate.TerminalError) bool) restate.ServiceDefinition {
	handler := func(ctx restate.ObjectContext, input I) (DedupOutcome, error) {
		recorded, err := restate.Get[*DedupOutcome](ctx, dedupStateKey)
		if err != nil {
			return DedupOutcome{}, err
		}
		if recorded != nil {
			return *recorded, nil
		}
		out, runErr := fn(ctx, input)
		outcome := DedupOutcome{Output: out}
		if runErr != nil {
			if !restate.IsTerminalError(runErr) {
				return DedupOutcome{}, runErr
			}
			terminal := restate.AsTerminalError(runErr)
			if !final(terminal) {
				return DedupOutcome{}, terminal
			}
			outcome = DedupOutcome{Error: &DedupError{Code: terminal.Code(), Message: terminal.Message(), Metadata: terminal.Metadata().ToMap()}}
		}
		restate.Set(ctx, dedupStateKey, outcome)
		return outcome, nil
	}
	return restate.NewObject(name, restate.WithIngressPrivate(true)).Handler("Run", restate.NewObjectHandler(handler))
}
