package interpreter

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
)

// switchStep runs the steps of the first case that holds, or the default,
// in this invocation. Its output is their outputs by step id; nil when
// nothing matched and there is no default.
func (r *runner) switchStep(s *dsl.SwitchStep) (any, bool, error) {
	for _, c := range s.Cases {
		match, err := c.When.EvalBool(&r.env)
		if err != nil {
			return nil, false, expressionFailed(&s.StepInfo, err)
		}
		if match {
			out, err := r.block(c.Steps)
			return out, err == nil, err
		}
	}
	if s.Default == nil {
		return nil, true, nil
	}
	out, err := r.block(s.Default)
	return out, err == nil, err
}

// block runs a nested list of steps in this invocation (a switch case, a
// catch handler). Variables it sets are its own, as in blocks that run in
// child invocations: the ones around it are as they were afterwards.
func (r *runner) block(steps []dsl.Step) (map[string]any, error) {
	outer := r.env.Vars
	r.env.Vars = maps.Clone(outer)
	defer func() { r.env.Vars = outer }()
	return r.steps(steps)
}

// sleep waits for the step's duration, or until its time: a time in the
// past does not wait. The current time comes from the journal, so a replay
// waits (or not) exactly as the first run did.
func (r *runner) sleep(s *dsl.SleepStep) error {
	d := s.Duration
	if s.Until != nil {
		value, err := s.Until.Eval(&r.env)
		if err != nil {
			return expressionFailed(&s.StepInfo, err)
		}
		until, err := parseTime(value)
		if err != nil {
			return expressionFailed(&s.StepInfo, fmt.Errorf("%s: sleep until %s: %w", s.Until.Pointer, s.Until.Source, err))
		}
		now, err := r.journal.now()
		if err != nil {
			return err
		}
		if d = until.Sub(now); d <= 0 {
			return nil
		}
	}
	return r.journal.sleep(journalname.SleepTimer(s.ID), d)
}

// parseTime accepts an RFC 3339 time or Unix milliseconds.
func parseTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as \"2026-01-02T15:04:05Z\"", v)
		}
		return t, nil
	case float64:
		return time.UnixMilli(int64(v)), nil
	case int:
		return time.UnixMilli(int64(v)), nil
	}
	return time.Time{}, fmt.Errorf("expected an RFC 3339 time or Unix milliseconds, got %T", v)
}

// await waits for the step's signal; the payload (already checked against
// the step's schema when it was sent) is the step's output.
func (r *runner) await(s *dsl.AwaitStep) (any, error) {
	raw, err := r.journal.signal(s.Signal)
	if err != nil {
		return nil, err
	}
	var out any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, failed(&s.StepInfo, dsl.CodeFailed, "signal payload: "+err.Error())
		}
	}
	return out, nil
}

// fail fails the step with its error code and rendered message.
func (r *runner) fail(s *dsl.FailStep) error {
	message := s.Error
	if s.Message != nil {
		value, err := s.Message.Eval(&r.env)
		if err != nil {
			return expressionFailed(&s.StepInfo, err)
		}
		if text, ok := value.(string); ok {
			message = text
		} else {
			encoded, _ := json.Marshal(value)
			message = string(encoded)
		}
	}
	return failed(&s.StepInfo, s.Error, message)
}

// child runs the step's definition as a child run with a derived id: the
// run's id, the step id and the loop indexes, so a replay (or a retry of
// the whole run) addresses the same child, which Restate runs once.
func (r *runner) child(s *dsl.WorkflowStep) (any, error) {
	var input json.RawMessage
	if s.Input != nil {
		value, err := s.Input.Eval(&r.env)
		if err != nil {
			return nil, expressionFailed(&s.StepInfo, err)
		}
		if input, err = json.Marshal(value); err != nil {
			return nil, expressionFailed(&s.StepInfo, err)
		}
		if limit := r.in.cfg.limits.maxInput; len(input) > limit {
			return nil, failed(&s.StepInfo, dsl.CodeOutputTooLarge, sizeError("the child run's input", len(input), limit, "WithMaxInputSize"))
		}
	}
	id := journalname.ChildRunID(r.env.Workflow.ID, s.ID, r.loopIndexes()...)
	raw, err := r.journal.child(id, RunRequest{Definition: s.Definition, Input: input, File: s.File, Origin: r.source.Origin.child(s.ID)}, s.Wait)
	if err != nil {
		return nil, childFailed(s, id, err)
	}
	if !s.Wait {
		return map[string]any{"workflowId": id}, nil
	}
	if limit := r.in.cfg.limits.maxStepOutput; len(raw) > limit {
		return nil, failed(&s.StepInfo, dsl.CodeOutputTooLarge, sizeError("the child run's output", len(raw), limit, "WithMaxStepOutputSize"))
	}
	var out any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, failed(&s.StepInfo, dsl.CodeFailed, "child output: "+err.Error())
		}
	}
	return out, nil
}
