package interpreter

import (
	"encoding/json"
	"fmt"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/rea"
)

// activityCall is everything one activity call needs, fixed before the Run
// starts so that every retry sends the same input and key. It is also the
// input of the dedup object, so it must encode to JSON.
type activityCall struct {
	Activity       string          `json:"activity"`
	Input          json.RawMessage `json:"input"`
	WorkflowID     string          `json:"workflowId"`
	StepID         string          `json:"stepId"`
	StepPath       string          `json:"stepPath"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	Retry          rea.RunConfig   `json:"retry"`
}

// activity runs one activity step: one journaled Run, or one call to the
// dedup object when the step has a dedup key.
func (r *runner) activity(s *dsl.ActivityStep) (any, error) {
	var with any
	if s.With != nil {
		var err error
		if with, err = s.With.Eval(&r.env); err != nil {
			return nil, expressionFailed(&s.StepInfo, err)
		}
	}
	input, err := json.Marshal(with)
	if err != nil {
		return nil, expressionFailed(&s.StepInfo, err)
	}
	call := activityCall{
		Activity:       s.Activity,
		Input:          input,
		WorkflowID:     r.env.Workflow.ID,
		StepID:         s.ID,
		StepPath:       s.Pointer,
		IdempotencyKey: rea.IdempotencyKey(r.env.Workflow.ID, rea.Step(s.ID)),
		Retry:          r.in.retryConfig(s),
	}

	var raw json.RawMessage
	if s.Dedup != nil {
		key, keyErr := s.Dedup.EvalString(&r.env)
		if keyErr != nil {
			return nil, expressionFailed(&s.StepInfo, keyErr)
		}
		if key == "" {
			return nil, expressionFailed(&s.StepInfo, fmt.Errorf("%s: dedup %s: the key is empty", s.Dedup.Pointer, s.Dedup.Source))
		}
		raw, err = r.journal.dedup(dedupObjectKey(s.Activity, key), call)
	} else {
		raw, err = r.journal.run(call)
	}
	if err != nil {
		return nil, stepFailed(s, err)
	}
	var out any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, stepFailed(s, restate.ToTerminalError(err))
		}
	}
	return out, nil
}

// dedupObjectKey names the dedup object of a step: the activity and the
// author's key, so that two steps that happen to share a key but call
// different activities never read each other's record.
func dedupObjectKey(activity, key string) string {
	return activity + "/" + key
}

// journal is what a run asks of Restate: the journaled calls of its
// activity steps. The handler uses restateJournal; the interpreter's own
// benchmarks replace it to measure the interpreter alone.
type journal interface {
	// run calls the activity inside one journaled Run.
	run(call activityCall) (json.RawMessage, error)
	// dedup asks the dedup object for key to run call, once across all
	// workflows, and returns its recorded output.
	dedup(key string, call activityCall) (json.RawMessage, error)
}

type restateJournal struct {
	ctx restate.WorkflowContext
	in  *interpreter
}

func (j restateJournal) run(call activityCall) (json.RawMessage, error) {
	return rea.RunWithRetry(j.ctx, call.Retry, func(rctx restate.RunContext) (json.RawMessage, error) {
		return j.in.call(rctx, call)
	})
}

func (j restateJournal) dedup(key string, call activityCall) (json.RawMessage, error) {
	outcome, err := restate.Object[rea.DedupOutcome](j.ctx, DedupService, key, "Run").Request(call)
	if err != nil {
		return nil, err
	}
	if outcome.Error != nil {
		return nil, outcome.Error.Err()
	}
	return outcome.Output, nil
}

// runDeduped is the dedup object's handler body: it runs the call as one
// journaled Run of its own. The idempotency key is derived from the dedup
// key, not from the calling workflow, because the effect belongs to the
// key: whichever workflow gets there first, the provider sees one key.
func (in *interpreter) runDeduped(ctx restate.ObjectContext, call activityCall) (json.RawMessage, error) {
	call.IdempotencyKey = rea.IdempotencyKey(restate.Key(ctx), rea.Role("dedup"))
	return rea.RunWithRetry(ctx, call.Retry, func(rctx restate.RunContext) (json.RawMessage, error) {
		return in.call(rctx, call)
	})
}

// call invokes the activity inside a Run and classifies its error.
func (in *interpreter) call(rctx restate.RunContext, call activityCall) (json.RawMessage, error) {
	actx := activities.NewContext(rctx, activities.Context{
		IdempotencyKey: call.IdempotencyKey,
		WorkflowID:     call.WorkflowID,
		StepID:         call.StepID,
		StepPath:       call.StepPath,
	}, rctx.Log())
	out, err := in.registry.Call(actx, call.Activity, call.Input)
	if err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// retryConfig maps a step's retry block onto Restate's Run retry options.
func (in *interpreter) retryConfig(s *dsl.ActivityStep) rea.RunConfig {
	rc := in.cfg.defaultRetry
	if p := s.Retry; p != nil {
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
	rc.Name = s.ID
	return rc
}
