package interpreter

import (
	"encoding/json"
	"fmt"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
	"github.com/reaflow/reaflow/rea"
)

// activityCall is everything one activity call needs, fixed before the Run
// starts so that every retry sends the same input and key. It is also the
// input of the dedup object, so it must encode to JSON.
type activityCall struct {
	Activity   string          `json:"activity"`
	Input      json.RawMessage `json:"input"`
	WorkflowID string          `json:"workflowId"`
	journalname.DedupCall
	StepPath       string        `json:"stepPath"`
	IdempotencyKey string        `json:"idempotencyKey,omitempty"`
	CallbackID     string        `json:"callbackId,omitempty"`
	Retry          rea.RunConfig `json:"retry"`
}

// activity runs one activity step: one journaled Run, one call to the
// dedup object when the step has a dedup key, or a Run and a wait for the
// callback when it is a callback step. Once it succeeds, its compensation
// is registered.
func (r *runner) activity(s *dsl.ActivityStep) (any, error) {
	call, err := r.call(&s.StepInfo, s.Activity, s.With, r.key(s.ID))
	if err != nil {
		return nil, err
	}
	call.Retry = r.in.retryConfig(s.Retry, journalname.ActivityRun(s.ID))

	var raw json.RawMessage
	switch {
	case s.Callback:
		raw, err = r.journal.callback(call)
	case s.Dedup != nil:
		key, keyErr := s.Dedup.EvalString(&r.env)
		if keyErr != nil {
			return nil, expressionFailed(&s.StepInfo, keyErr)
		}
		if key == "" {
			return nil, expressionFailed(&s.StepInfo, fmt.Errorf("%s: dedup %s: the key is empty", s.Dedup.Pointer, s.Dedup.Source))
		}
		raw, err = r.journal.dedup(dedupObjectKey(s.Activity, key), call)
	default:
		raw, err = r.journal.run(call)
	}
	if err != nil {
		return nil, stepFailed(s, err)
	}
	if limit := r.in.cfg.limits.maxStepOutput; len(raw) > limit {
		// A callback's value arrives from outside; an activity's output
		// was checked before it was journaled (see call).
		return nil, failed(&s.StepInfo, dsl.CodeOutputTooLarge, sizeError("the output", len(raw), limit, "WithMaxStepOutputSize"))
	}
	var out any
	if len(raw) > 0 {
		if err = json.Unmarshal(raw, &out); err != nil {
			return nil, stepFailed(s, restate.ToTerminalError(err))
		}
	}
	if s.Compensate != nil {
		if err := r.register(s, out); err != nil {
			return nil, err
		}
	}
	// A cancellation that came while the activity ran fails the step only
	// now, with its compensation registered.
	if err := r.journal.interrupted(); err != nil {
		return nil, err
	}
	return out, nil
}

// call renders an activity call of step: its input from with, and the
// identity the activity sees.
func (r *runner) call(step *dsl.StepInfo, activity string, with *dsl.Template, key string) (activityCall, error) {
	var value any
	if with != nil {
		var err error
		if value, err = with.Eval(&r.env); err != nil {
			return activityCall{}, expressionFailed(step, err)
		}
	}
	input, err := json.Marshal(value)
	if err != nil {
		return activityCall{}, expressionFailed(step, err)
	}
	return activityCall{
		Activity:       activity,
		Input:          input,
		WorkflowID:     r.env.Workflow.ID,
		DedupCall:      journalname.DedupCall{StepID: step.ID},
		StepPath:       r.stepPath(step.Pointer),
		IdempotencyKey: key,
	}, nil
}

// dedupObjectKey names the dedup object of a step: the activity and the
// author's key, so that two steps that happen to share a key but call
// different activities never read each other's record.
func dedupObjectKey(activity, key string) string {
	return activity + "/" + key
}

// runDeduped is the dedup object's handler body: it runs the call as one
// journaled Run of its own. The idempotency key is derived from the dedup
// key, not from the calling workflow, because the effect belongs to the
// key: whichever workflow gets there first, the provider sees one key.
func (in *interpreter) runDeduped(ctx restate.ObjectContext, call activityCall) (json.RawMessage, error) {
	call.IdempotencyKey = rea.IdempotencyKey(restate.Key(ctx), rea.Role("dedup"))
	return rea.RunWithRetry(ctx, call.Retry, in.call(call), rawJSONResult)
}

// call returns the body of the Run that invokes the activity of call and
// classifies its error. Its result is json.Marshal's output (see
// activities.Register), which is what rea.RawJSON, the codec of every
// activity's Run, requires.
//
// The input is decoded now, on the handler's goroutine, not inside the
// Run: decoding is pure, so the Run needs only its outcome, and the SDK
// runs each Run's body on a new goroutine, whose small stack encoding/json's
// deep decoder would grow and copy on every step. A bad input still fails
// inside the Run, so the journal records the failure as before. A replayed
// step decodes its input for nothing, as it already renders and encodes it.
func (in *interpreter) call(call activityCall) func(restate.RunContext) (json.RawMessage, error) {
	bound, bindErr := in.registry.Bind(call.Activity, call.Input)
	return func(rctx restate.RunContext) (json.RawMessage, error) {
		if bindErr != nil {
			return nil, classify(bindErr)
		}
		actx := activities.NewContext(rctx, activities.Context{
			IdempotencyKey: call.IdempotencyKey,
			WorkflowID:     call.WorkflowID,
			StepID:         call.StepID,
			StepPath:       call.StepPath,
			CallbackID:     call.CallbackID,
		}, rctx.Log())
		out, err := bound(actx)
		if err != nil {
			return nil, classify(err)
		}
		if limit := in.cfg.limits.maxStepOutput; len(out) > limit {
			// Terminal, and inside the Run: the journal records this failure
			// instead of a result Restate might refuse, and retrying would
			// return the same output.
			return nil, classify(activities.TerminalErrorf(dsl.CodeOutputTooLarge, "%s; return a reference (an id or a URL) to large data instead",
				sizeError(fmt.Sprintf("activity %s returned an output that", call.Activity), len(out), limit, "WithMaxStepOutputSize")))
		}
		return out, nil
	}
}

// retryConfig maps a retry block (nil for the default) onto Restate's Run
// retry options; name labels the Run in the journal.
func (in *interpreter) retryConfig(p *dsl.RetryPolicy, name string) rea.RunConfig {
	rc := in.cfg.defaultRetry
	if p != nil {
		rc.MaxRetries = rea.Unlimited
		if p.MaxAttempts > 0 {
			rc.MaxRetries = p.MaxAttempts - 1
		}
		if p.InitialInterval > 0 {
			rc.InitialDelay = p.InitialInterval
		}
		if p.MaxInterval > 0 {
			rc.MaxDelay = p.MaxInterval
		}
		if p.BackoffFactor > 0 {
			rc.BackoffFactor = p.BackoffFactor
		}
	}
	rc.Name = name
	return rc
}
