package bench

import (
	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// BaselineService is the hand-written workflow the interpreter is measured
// against. Like the interpreter's it is a Restate workflow with a Run
// handler.
const BaselineService = "Baseline"

// BaselineRequest is the baseline's input: how many steps to run, and the
// run's input.
type BaselineRequest struct {
	Steps int   `json:"steps"`
	Input Order `json:"input"`
}

// baselineRetry gives the baseline's steps the interpreter's default retry
// policy, so both journal Run commands with the same options.
var baselineRetry = interpreter.DefaultRetry

// baseline is what a user would write by hand instead of a definition: one
// restate.Run per step, named like the interpreter names it, calling the
// same activity with the same input and idempotency key, and returning
// every step's output by step id.
func baseline(ctx restate.WorkflowContext, req BaselineRequest) (map[string]NoopOutput, error) {
	id := restate.Key(ctx)
	outputs := make(map[string]NoopOutput, req.Steps)
	ref := req.Input.Order
	for i := 1; i <= req.Steps; i++ {
		step := StepID(i)
		in := NoopInput{Order: req.Input.Order, Amount: req.Input.Amount, Ref: ref}
		retry := baselineRetry
		retry.Name = step
		out, err := restate.Run(ctx, func(rctx restate.RunContext) (NoopOutput, error) {
			return Noop(activities.NewContext(rctx, activities.Context{
				IdempotencyKey: rea.IdempotencyKey(id, rea.Step(step)),
				WorkflowID:     id,
				StepID:         step,
			}, rctx.Log()), in)
		}, retry.Options()...)
		if err != nil {
			return nil, err
		}
		outputs[step] = out
		ref = out.Ref
	}
	return outputs, nil
}

// Services returns everything the benchmark endpoint serves: the baseline
// workflow and the interpreter's services with the Noop registry.
func Services() []restate.ServiceDefinition {
	wf := restate.NewWorkflow(BaselineService).Handler("Run", restate.NewWorkflowHandler(baseline))
	return append([]restate.ServiceDefinition{wf}, interpreter.New(Registry())...)
}
