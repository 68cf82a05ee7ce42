package interpreter

import (
	"encoding/json"
	"fmt"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
)

// Every value a run passes through Restate is a message: the run's input,
// each step's output (a Run's result, a callback's value, a child run's
// output), a signal's payload, the requests and results of the child
// invocations that run parallel branches and foreach items (which carry
// the input, the outputs and the variables so far), and the run's output.
// restate-server 1.7 warns about messages over 10 MiB and refuses those
// over 32 MiB (worker.invoker.message-size-warning and message-size-limit;
// the ingress takes requests of up to 32 MiB). A refused message is no
// clear failure: the invocation is retried, and fails the same way, until
// it is killed. So the interpreter checks the sizes itself, below those
// limits, and fails the step (or refuses the run, or the signal) with a
// message naming the limit and the option that sets it.

// Defaults of the limits; each has an Option.
const (
	// DefaultMaxInputSize bounds a run's input, and a child run's, as
	// JSON (WithMaxInputSize).
	DefaultMaxInputSize = 1 << 20
	// DefaultMaxStepOutputSize bounds what one step produces: an
	// activity's output, a callback's value, a child run's output
	// (WithMaxStepOutputSize). An activity whose output is larger fails
	// with the code dsl.CodeOutputTooLarge, before its result is journaled.
	DefaultMaxStepOutputSize = 1 << 20
	// DefaultMaxSignalSize bounds a signal's payload (WithMaxSignalSize).
	DefaultMaxSignalSize = 1 << 20
	// DefaultMaxMessageSize bounds the other messages: the request and the
	// result of each child invocation of a parallel or foreach step, and
	// the run's output (WithMaxMessageSize). 8 MiB stays below the
	// server's warning at 10 MiB.
	DefaultMaxMessageSize = 8 << 20
	// DefaultMaxForeachItems bounds the items of one foreach step
	// (WithMaxForeachItems).
	DefaultMaxForeachItems = 100_000
)

// codeTooLarge is the status of a refused run input or signal payload.
const codeTooLarge restate.Code = 413

type limits struct {
	maxInput, maxStepOutput, maxSignal, maxMessage, maxForeachItems int
}

var defaultLimits = limits{
	maxInput:        DefaultMaxInputSize,
	maxStepOutput:   DefaultMaxStepOutputSize,
	maxSignal:       DefaultMaxSignalSize,
	maxMessage:      DefaultMaxMessageSize,
	maxForeachItems: DefaultMaxForeachItems,
}

// WithMaxInputSize sets the largest run input, in bytes of JSON.
func WithMaxInputSize(n int) Option { return func(c *config) { c.limits.maxInput = n } }

// WithMaxStepOutputSize sets the largest output of one step, in bytes of
// JSON.
func WithMaxStepOutputSize(n int) Option { return func(c *config) { c.limits.maxStepOutput = n } }

// WithMaxSignalSize sets the largest signal payload, in bytes of JSON.
func WithMaxSignalSize(n int) Option { return func(c *config) { c.limits.maxSignal = n } }

// WithMaxMessageSize sets the largest request or result of a parallel
// branch's or foreach group's child invocation, and the largest run
// output, in bytes of JSON. Keep it below the Restate server's
// message-size-limit.
func WithMaxMessageSize(n int) Option { return func(c *config) { c.limits.maxMessage = n } }

// WithMaxForeachItems sets the most items one foreach step may have.
func WithMaxForeachItems(n int) Option { return func(c *config) { c.limits.maxForeachItems = n } }

// sizeError says what is too large, how large it is, the limit and the
// option that sets it.
func sizeError(what string, size, limit int, option string) string {
	return fmt.Sprintf("%s is %d bytes, more than the limit of %d bytes (interpreter.%s)", what, size, limit, option)
}

// checkBlockRequests fails a parallel or foreach step whose child
// invocations would be sent more than the message limit: each carries the
// definition, the input, the outputs and the variables so far, and its
// items. The environment, the same for all, is measured once.
func (r *runner) checkBlockRequests(step *dsl.StepInfo, kind string, reqs []blockRequest) error {
	if len(reqs) == 0 {
		return nil
	}
	env, err := json.Marshal(reqs[0].Env)
	if err != nil {
		return expressionFailed(step, err)
	}
	base := len(env) + len(reqs[0].Definition) + len(reqs[0].File) + 1024
	for _, req := range reqs {
		size := base
		if len(req.Items) > 0 {
			items, err := json.Marshal(req.Items)
			if err != nil {
				return expressionFailed(step, err)
			}
			size += len(items)
		}
		if limit := r.in.cfg.limits.maxMessage; size > limit {
			what := fmt.Sprintf("what a %s step passes to each of its child invocations (the definition, the input, the outputs and variables so far, and its items)", kind)
			return failed(step, dsl.CodeOutputTooLarge, sizeError(what, size, limit, "WithMaxMessageSize")+"; keep large data out of the run and pass references (ids, URLs) instead")
		}
	}
	return nil
}

// checkBlockResult turns a block result larger than the message limit into
// the block's failure, keeping its compensations so that the run can undo
// what completed.
func (in *interpreter) checkBlockResult(res blockResult, step, what string) blockResult {
	if res.Failure != nil {
		return res
	}
	encoded, err := json.Marshal(res)
	if err != nil || len(encoded) <= in.cfg.limits.maxMessage {
		return res
	}
	msg := sizeError(fmt.Sprintf("the output of %s of step %q", what, step), len(encoded), in.cfg.limits.maxMessage, "WithMaxMessageSize")
	err = failed(&dsl.StepInfo{ID: step}, dsl.CodeOutputTooLarge, msg+"; return references (ids, URLs) to large data instead")
	f := failureOf(err)
	return blockResult{Failure: &f, Undo: res.Undo}
}
