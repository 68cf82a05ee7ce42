package interpreter

import (
	"encoding/json"
	"fmt"
	"strings"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/internal/journalname"
)

// SignalRequest is the input of the Reaflow workflow's Signal handler.
type SignalRequest struct {
	// Name is the signal an await step of the run waits for.
	Name string `json:"name"`
	// Payload becomes that step's output; it must satisfy the step's
	// schema, if it has one.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Codes of refusals by the Signal handler and the definitions registry.
const (
	codeNotFound restate.Code = 404
	codeConflict restate.Code = 409
)

// signal is the Reaflow workflow's Signal handler: it checks the name and
// payload against the run's definition, then resolves the signal's
// promise, which the await step (or a block of the run) is waiting on. A
// signal may arrive before its await step runs; the step then finds it.
func (in *interpreter) signal(ctx restate.WorkflowSharedContext, req SignalRequest) (restate.Void, error) {
	return restate.Void{}, in.deliver(ctx, req)
}

func (in *interpreter) deliver(ctx restate.WorkflowSharedContext, req SignalRequest) error {
	pinned, err := restate.Get[*RunRequest](ctx, definitionState)
	if err != nil {
		return err
	}
	if pinned == nil {
		return restate.ToTerminalError(fmt.Errorf("run %s awaits no signals: it has no await step, or it has not started", restate.Key(ctx)), restate.WithErrorCode(codeNotFound))
	}
	prog, loadErr := in.load(pinned.Definition, pinned.File)
	if loadErr != nil {
		return badRequest("invalid definition", loadErr)
	}
	step := prog.Await(req.Name)
	if step == nil {
		return restate.ToTerminalError(fmt.Errorf("run %s has no await step for signal %q; it awaits: %s", restate.Key(ctx), req.Name, strings.Join(prog.Signals, ", ")), restate.WithErrorCode(codeNotFound))
	}
	if limit := in.cfg.limits.maxSignal; len(req.Payload) > limit {
		return restate.ToTerminalError(fmt.Errorf("signal %q: %s", req.Name, sizeError("the payload", len(req.Payload), limit, "WithMaxSignalSize")), restate.WithErrorCode(codeTooLarge))
	}
	payload := req.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	if err := step.ValidatePayload(payload); err != nil {
		return restate.ToTerminalError(fmt.Errorf("signal %q (step %q): %w", req.Name, step.ID, err), restate.WithErrorCode(codeBadRequest))
	}
	if err := restate.Promise[json.RawMessage](ctx, journalname.SignalPromise(req.Name)).Resolve(payload); err != nil {
		return restate.ToTerminalError(fmt.Errorf("signal %q was already delivered to run %s", req.Name, restate.Key(ctx)), restate.WithErrorCode(codeConflict))
	}
	return nil
}

// await is the Reaflow workflow's Await handler: block invocations of a
// run wait for its signals through it, since only the workflow owns them.
func await(ctx restate.WorkflowSharedContext, name string) (json.RawMessage, error) {
	return restate.Promise[json.RawMessage](ctx, journalname.SignalPromise(name)).Result()
}
