package client

import (
	"errors"
	"fmt"

	"github.com/reaflow/reaflow/internal/admin"
)

// ErrNotFound is what every error about something Restate does not know
// is (errors.Is): an unknown run, a callback nothing waits for, a
// definition never deployed. As a *NotFoundError it names what.
var ErrNotFound = errors.New("not found")

// NotFoundError names what Restate does not know.
type NotFoundError struct {
	// What is "run", "callback" or "definition"; Name its id or name.
	What, Name string
	// Message, when set, is Restate's own explanation.
	Message string
}

func (e *NotFoundError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("no such %s %q", e.What, e.Name)
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ErrFinished is what the error about a request that needs a run in
// flight is when the run has already ended (errors.Is): a signal, a
// callback completion, a cancellation. As a *FinishedError it says how
// the run ended.
var ErrFinished = errors.New("already finished")

// FinishedError says which invocation has ended and how.
type FinishedError struct {
	// Invocation is the run's, or for a callback the invocation that
	// created it.
	Invocation Invocation
	// State is Done or Failed; empty when the invocation ended while the
	// request was on its way and Restate did not say how.
	State State
}

func (e *FinishedError) Error() string {
	if e.State == "" {
		return e.Invocation.String() + " has already finished"
	}
	return fmt.Sprintf("%s has already finished (%s)", e.Invocation.String(), e.State)
}

func (e *FinishedError) Is(target error) bool { return target == ErrFinished }

// ErrRefused is what the error about a request that Restate or the run
// turned down is (errors.Is); as a *RefusedError it carries the code and
// the reason.
var ErrRefused = errors.New("refused")

// RefusedError is a request that reached Restate and was turned down.
type RefusedError struct {
	// Code is like an HTTP status. For a signal: 404 when the run has no
	// await step for it, 400 when the payload fails the step's schema,
	// 409 when the signal was already delivered. For a schedule: 404
	// when there is none of the name.
	Code int
	// Message is the reason, as Restate or the run gave it.
	Message string
	// ByRun is true when the run (or the schedule) itself refused; false
	// when Restate did (no such handler: the registered endpoint predates
	// it; a malformed callback id).
	ByRun bool
}

func (e *RefusedError) Error() string { return fmt.Sprintf("[%d] %s", e.Code, e.Message) }

func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// RunError is a run's failure, as Attach and Output return it.
type RunError struct {
	WorkflowID string
	// Code is Restate's error code, like an HTTP status: 400 for a
	// definition or input the server refused, 409 for a cancelled run,
	// 422 for an expression that failed, 500 for a failed step.
	Code int
	// ErrorCode is the failing activity's or the interpreter's code
	// ("card_declined", "timeout"), and Step the id of the step the run
	// failed at; both empty when Restate no longer keeps the run's
	// journal, or the failure is not a step's.
	ErrorCode string
	Step      string
	Message   string
}

func (e *RunError) Error() string { return fmt.Sprintf("run %q failed: %s", e.WorkflowID, e.Message) }

// ErrNotFinished means a run has no output yet: it is still going.
var ErrNotFinished = errors.New("not finished yet")

// ErrInvalidID means a workflow id cannot be used: too long, or with a
// character that does not fit in a URL path as it is.
var ErrInvalidID = errors.New("invalid workflow id")

// UnreachableError means a request got no answer from Restate at all:
// nothing listens at the address, or the connection was lost before the
// answer. Asking again later can succeed.
type UnreachableError = admin.UnreachableError
