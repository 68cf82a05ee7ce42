package interpreter

import (
	"errors"
	"fmt"
	"strings"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
)

// Codes of the terminal errors a run ends with; Restate reports them like
// HTTP statuses.
const (
	// codeBadRequest: the definition or the input is invalid; nothing ran.
	codeBadRequest restate.Code = 400
	// codeExpression: an expression failed at run time.
	codeExpression restate.Code = 422
	// codeStepFailed: an activity failed terminally or ran out of retries.
	codeStepFailed restate.Code = 500
	// codeCancelled: the run was cancelled (Restate's own code for it).
	codeCancelled restate.Code = 409
)

// CodeExpression is the error code of an expression that failed at run
// time. catch handlers do not take it: it is a mistake in the definition.
// The codes they do take (dsl.CodeTimeout, ...) are declared in dsl, which
// checks catch handlers against them.
const CodeExpression = "expression_failed"

// Metadata keys on the terminal errors of failed runs, for clients that
// want the failing step and the activity's error code without parsing the
// message.
const (
	MetaStep = "reaflow.step"
	MetaCode = "reaflow.code"
)

// failure is a step's terminal failure in a form that travels between
// invocations (a block's result) and that catch handlers see.
type failure struct {
	Status   restate.Code      `json:"status"`
	Message  string            `json:"message"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

func failureOf(err error) failure {
	t := restate.AsTerminalError(err)
	if t == nil {
		return failure{Status: codeStepFailed, Message: err.Error()}
	}
	return failure{Status: t.Code(), Message: t.Message(), Metadata: t.Metadata().ToMap()}
}

func (f *failure) err() error {
	return restate.ToTerminalError(errors.New(f.Message), restate.WithErrorCode(f.Status), restate.WithMetadataMap(f.Metadata))
}

// catchable returns what a catch handler sees of err, and false for
// errors no handler takes: cancellation, and anything not terminal (a
// deadline of an enclosing step, a return).
func catchable(err error) (dsl.ErrorInfo, bool) {
	t := restate.AsTerminalError(err)
	if t == nil || t.Code() == codeCancelled || t.Code() == codeBadRequest {
		return dsl.ErrorInfo{}, false
	}
	md := t.Metadata()
	code := md.Get(MetaCode)
	switch {
	case t.Code() == codeExpression:
		return dsl.ErrorInfo{}, false
	case code == "":
		code = dsl.CodeFailed
	}
	return dsl.ErrorInfo{Code: code, Message: t.Message(), Step: md.Get(MetaStep)}, true
}

func isCancelled(err error) bool {
	t := restate.AsTerminalError(err)
	return t != nil && t.Code() == codeCancelled
}

// failed is the terminal error of a step that fails with a code of the
// interpreter's or a fail step's.
func failed(step *dsl.StepInfo, code, message string) error {
	return restate.ToTerminalError(fmt.Errorf("step %q failed: %s: %s", step.ID, code, message),
		restate.WithErrorCode(codeStepFailed), restate.WithMetadataMap(map[string]string{MetaStep: step.ID, MetaCode: code}))
}

// classify is the one place that decides whether an activity error is
// retried: an activities.Error marked terminal becomes a Restate terminal
// error (recorded, not retried); everything else is returned as is and
// Restate retries the Run by the step's policy.
func classify(err error) error {
	if restate.IsTerminalError(err) || !activities.IsTerminal(err) {
		return err
	}
	return restate.ToTerminalError(err, restate.WithErrorCode(codeStepFailed), restate.WithMetadata(MetaCode, activities.ErrorCode(err)))
}

// declaredByActivity tells a failure the activity itself declared terminal
// (it carries the activity's error code) from one Restate made terminal
// when the step's retries ran out. Only the first is final for a dedup key.
func declaredByActivity(err restate.TerminalError) bool {
	return err.Metadata().Get(MetaCode) != ""
}

func badRequest(what string, err error) error {
	return restate.ToTerminalError(fmt.Errorf("%s: %w", what, err), restate.WithErrorCode(codeBadRequest))
}

func expressionFailed(step *dsl.StepInfo, err error) error {
	return restate.ToTerminalError(fmt.Errorf("step %q: %w", step.ID, err),
		restate.WithErrorCode(codeExpression), restate.WithMetadata(MetaStep, step.ID))
}

// stepFailed wraps the terminal error a step's Run or dedup call ended with.
// A non-terminal error (Restate suspending the handler, say) passes through
// untouched.
func stepFailed(s *dsl.ActivityStep, err error) error {
	var terminal restate.TerminalError
	if !errors.As(err, &terminal) || terminal.Code() == codeCancelled {
		// A cancellation is the run's, not the step's: no catch takes it.
		return err
	}
	code, msg := terminal.Metadata().Get(MetaCode), terminal.Message()
	if code != "" && !strings.HasPrefix(msg, code+": ") {
		// Clients see the message only (Restate's ingress drops the
		// metadata), so the code a catch would match goes in it too.
		msg = code + ": " + msg
	}
	return restate.ToTerminalError(fmt.Errorf("step %q (activity %s) failed: %s", s.ID, s.Activity, msg),
		restate.WithErrorCode(codeStepFailed), restate.WithMetadataMap(map[string]string{MetaStep: s.ID, MetaCode: code}))
}

// childFailed wraps the failure of a child run; the child's error code,
// which its message begins with after the failed step, is kept for catch
// handlers when Restate passes the metadata on.
func childFailed(s *dsl.WorkflowStep, id string, err error) error {
	var terminal restate.TerminalError
	if !errors.As(err, &terminal) || terminal.Code() == codeCancelled {
		return err
	}
	md := terminal.Metadata().ToMap()
	if md == nil {
		md = map[string]string{}
	}
	md[MetaStep] = s.ID
	return restate.ToTerminalError(fmt.Errorf("step %q (child run %s) failed: %s", s.ID, id, terminal.Message()),
		restate.WithErrorCode(codeStepFailed), restate.WithMetadataMap(md))
}
