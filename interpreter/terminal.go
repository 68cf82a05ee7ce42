package interpreter

import (
	"errors"
	"fmt"

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
)

// Metadata keys on the terminal errors of failed runs, for clients that
// want the failing step and the activity's error code without parsing the
// message.
const (
	MetaStep = "reaflow.step"
	MetaCode = "reaflow.code"
)

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
	if !errors.As(err, &terminal) {
		return err
	}
	code := terminal.Metadata().Get(MetaCode)
	return restate.ToTerminalError(fmt.Errorf("step %q (activity %s) failed: %s", s.ID, s.Activity, terminal.Message()),
		restate.WithErrorCode(codeStepFailed), restate.WithMetadataMap(map[string]string{MetaStep: s.ID, MetaCode: code}))
}
