package interpreter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/rea"
)

// definitionState is the state key under which a run that awaits signals
// keeps its definition, for the Signal handler to check names and payloads.
const definitionState = "definition"

// run is the Reaflow workflow's Run handler.
func (in *interpreter) run(ctx restate.WorkflowContext, req RunRequest) (json.RawMessage, error) {
	if limit := in.cfg.limits.maxInput; len(req.Input) > limit {
		return nil, restate.ToTerminalError(fmt.Errorf("invalid input: %s; pass large data by reference (an id or a URL) instead", sizeError("the input", len(req.Input), limit, "WithMaxInputSize")), restate.WithErrorCode(codeTooLarge))
	}
	prog, err := in.load(req.Definition, req.File)
	if err != nil {
		return nil, badRequest("invalid definition", err)
	}
	origin, err := in.admit(ctx, prog, req.Origin)
	if err != nil {
		return nil, err
	}
	if err := prog.ValidateInput(req.Input); err != nil {
		return nil, badRequest("invalid input for "+prog.Name, err)
	}
	var input any
	if len(bytes.TrimSpace(req.Input)) > 0 {
		if err := json.Unmarshal(req.Input, &input); err != nil {
			return nil, badRequest("invalid input for "+prog.Name, err)
		}
	}
	if len(prog.Signals) > 0 {
		restate.Set(ctx, definitionState, RunRequest{Definition: req.Definition, File: req.File})
	}
	j := &restateJournal{ctx: ctx, in: in, workflowID: restate.Key(ctx), promises: ctx}
	if req.Redrive != nil {
		if err := in.authorizeRedrive(ctx); err != nil {
			return nil, err
		}
		if err := in.checkRedrive(restate.Key(ctx), req.Redrive); err != nil {
			return nil, err
		}
		if err := j.claim(req.Redrive.Of); err != nil {
			return nil, err
		}
	}
	r := newRunner(in, j, prog, restate.Key(ctx), input)
	r.source = source{Definition: req.Definition, File: req.File, Origin: origin}
	r.redrive = req.Redrive
	return r.walk()
}

// load returns the compiled program of a definition, from the cache when
// this process has compiled it before.
func (in *interpreter) load(definition, file string) (*dsl.Program, error) {
	if file == "" {
		file = "definition"
	}
	return in.programs.load(definition, func() (*dsl.Program, error) {
		return dsl.Load(file, []byte(definition), in.loadOptions...)
	})
}

// source is the definition a run interprets, as child invocations need it.
type source struct {
	Definition string `json:"definition"`
	File       string `json:"file,omitempty"`
	// Origin is where the definition was deployed, when the endpoint
	// runs only deployed definitions; child runs are admitted by it.
	Origin *DefinitionOrigin `json:"origin,omitempty"`
}

// runner is the state of one invocation (the run itself, or one of its
// blocks) while its handler executes or replays.
type runner struct {
	in      *interpreter
	journal journal
	prog    *dsl.Program
	source  source
	env     dsl.Env
	// loops locates the invocation inside foreach steps, outermost first;
	// idempotency keys include it.
	loops []loop
	// undo holds the compensations of completed steps, in the order the
	// steps completed.
	undo []compensation
	// redrive is what the run reuses of the failed run it redrives; nil
	// for a run that redrives none.
	redrive *Redrive
}

// loop is one foreach iteration around a step.
type loop struct {
	Step    string `json:"step"`
	Pointer string `json:"pointer"`
	Index   int    `json:"index"`
}

func newRunner(in *interpreter, j journal, prog *dsl.Program, workflowID string, input any) *runner {
	return &runner{
		in:      in,
		journal: j,
		prog:    prog,
		env: dsl.Env{
			Input:    input,
			Steps:    make(map[string]any, len(prog.Steps)),
			Vars:     map[string]any{},
			Workflow: dsl.WorkflowInfo{ID: workflowID},
		},
	}
}

// returned carries a return step's output up to walk. It is not a
// terminal error, so catch handlers and compensation leave it alone.
type returned struct{ output any }

func (*returned) Error() string { return "return" }

// walk runs the workflow's steps and renders its output. When a step
// fails for good, or the run is cancelled or times out, the compensations
// of the completed steps run before the run fails.
func (r *runner) walk() (json.RawMessage, error) {
	var done func()
	if r.prog.Timeout > 0 {
		done = r.journal.deadline("", r.prog.Timeout)
	}
	outputs, err := r.steps(r.prog.Steps)
	if done != nil {
		done()
	}
	var timeout *timeoutError
	if errors.As(err, &timeout) {
		err = restate.ToTerminalError(fmt.Errorf("workflow %s failed: %s: it ran longer than its timeout of %s", r.prog.Name, dsl.CodeTimeout, timeout.timeout),
			restate.WithErrorCode(codeStepFailed), restate.WithMetadata(MetaCode, dsl.CodeTimeout))
	}
	var ret *returned
	switch {
	case errors.As(err, &ret):
		return r.encodeOutput(ret.output)
	case restate.IsTerminalError(err):
		return nil, r.compensate(err)
	case err != nil:
		return nil, err
	}
	return r.output(outputs)
}

// steps runs a list of steps in order and returns the outputs of those
// that produce one, by step id.
func (r *runner) steps(steps []dsl.Step) (map[string]any, error) {
	outputs := make(map[string]any, len(steps))
	for _, step := range steps {
		out, ran, err := r.exec(step)
		if err != nil {
			return outputs, err
		}
		if ran {
			outputs[step.Info().ID] = out
		}
	}
	return outputs, nil
}

// exec runs one step: its guard, its timeout and its catch handlers around
// what its kind does. ran is false for a skipped step and for set steps,
// which have no output.
func (r *runner) exec(step dsl.Step) (out any, ran bool, err error) {
	info := step.Info()
	if info.When != nil {
		run, err := info.When.EvalBool(&r.env)
		if err != nil {
			return nil, false, expressionFailed(info, err)
		}
		if !run {
			return nil, false, nil
		}
	}
	if out, ok, err := r.reused(step); ok || err != nil {
		if err != nil {
			return nil, false, err
		}
		r.env.Steps[info.ID] = map[string]any{"output": out}
		return out, true, nil
	}
	if info.Timeout > 0 {
		done := r.journal.deadline(info.ID, info.Timeout)
		out, ran, err = r.kind(step)
		done()
		var timeout *timeoutError
		if errors.As(err, &timeout) && timeout.id == info.ID {
			out, ran, err = r.timedOut(step)
		}
	} else {
		out, ran, err = r.kind(step)
	}
	if err != nil && len(info.Catch) > 0 {
		out, ran, err = r.catch(info, err)
	}
	if err != nil {
		return nil, false, err
	}
	if ran {
		r.env.Steps[info.ID] = map[string]any{"output": out}
	}
	return out, ran, nil
}

// timedOut is the outcome of a step whose timeout expired: an await with
// onTimeout continues with that output, every other step fails.
func (r *runner) timedOut(step dsl.Step) (any, bool, error) {
	info := step.Info()
	if a, ok := step.(*dsl.AwaitStep); ok && a.OnTimeout != nil {
		out, err := a.OnTimeout.Eval(&r.env)
		if err != nil {
			return nil, false, expressionFailed(info, err)
		}
		return out, true, nil
	}
	return nil, false, failed(info, dsl.CodeTimeout, fmt.Sprintf("timed out after %s", info.Timeout))
}

// catch runs the first handler of the step that takes err, with the error
// visible as error.*; its steps' outputs become the step's output.
func (r *runner) catch(info *dsl.StepInfo, err error) (any, bool, error) {
	caught, ok := catchable(err)
	if !ok {
		return nil, false, err
	}
	for _, handler := range info.Catch {
		if !handler.Matches(caught.Code) {
			continue
		}
		outer := r.env.Error
		r.env.Error = caught
		out, herr := r.block(handler.Steps)
		r.env.Error = outer
		if herr != nil {
			return nil, false, herr
		}
		return out, true, nil
	}
	return nil, false, err
}

// kind does what the step's kind says.
func (r *runner) kind(step dsl.Step) (any, bool, error) {
	info := step.Info()
	switch s := step.(type) {
	case *dsl.ActivityStep:
		out, err := r.activity(s)
		return out, err == nil, err
	case *dsl.SetStep:
		for _, assign := range s.Vars {
			value, err := assign.Value.Eval(&r.env)
			if err != nil {
				return nil, false, expressionFailed(info, err)
			}
			r.env.Vars[assign.Name] = value
		}
		return nil, false, nil
	case *dsl.SwitchStep:
		return r.switchStep(s)
	case *dsl.ParallelStep:
		out, err := r.parallel(s)
		return out, err == nil, err
	case *dsl.ForeachStep:
		out, err := r.foreach(s)
		return out, err == nil, err
	case *dsl.SleepStep:
		return nil, true, r.sleep(s)
	case *dsl.AwaitStep:
		out, err := r.await(s)
		return out, err == nil, err
	case *dsl.FailStep:
		return nil, false, r.fail(s)
	case *dsl.WorkflowStep:
		out, err := r.child(s)
		return out, err == nil, err
	case *dsl.ReturnStep:
		out, err := s.Output.Eval(&r.env)
		if err != nil {
			return nil, false, expressionFailed(info, err)
		}
		return nil, false, &returned{output: out}
	}
	// Compile produces only the kinds above; reaching this is a bug in
	// this package, and retrying will not fix it.
	return nil, false, restate.TerminalErrorf("step %q: the interpreter does not support %T", info.ID, step)
}

// key derives the idempotency key of a call made for the step id (and
// roles such as compensate) in this invocation's loop iteration.
//
// A redriven run derives its keys from the lineage's root run, so that a
// step sends the key the original run sent; a step the redrive gives a
// generation of its own adds it (see Redrive.Keys).
func (r *runner) key(id string, roles ...rea.KeyPart) string {
	root, generation := r.keyRoot(id)
	var loops []PathLoop
	if len(r.loops) > 0 {
		loops = make([]PathLoop, len(r.loops))
		for i, l := range r.loops {
			loops[i] = PathLoop{Step: l.Step, Index: l.Index}
		}
	}
	return StepKey(root, loops, id, generation, roles...)
}

// StepKey is the idempotency key of a call made for the step id inside
// the foreach items loops: derived from root (the run's id, or the first
// run of the lineage a redrive continues), the step path, the redrive
// generation the step's key belongs to (0 for the root run's key) and
// roles naming further calls for the step (compensate). It is the one
// derivation: the interpreter sends it, and status and the console show
// it.
func StepKey(root string, loops []PathLoop, id string, generation int, roles ...rea.KeyPart) string {
	if len(loops) == 0 && len(roles) == 0 && generation == 0 {
		return rea.IdempotencyKey(root, rea.Step(id))
	}
	path := make([]rea.KeyPart, 0, 2*len(loops)+3+len(roles))
	for _, l := range loops {
		path = append(path, rea.Step(l.Step), rea.Index(l.Index))
	}
	path = append(path, rea.Step(id))
	if generation > 0 {
		path = append(path, redriveKeyParts(generation)...)
	}
	return rea.IdempotencyKey(root, append(path, roles...)...)
}

// loopIndexes are the item indexes of the foreach loops around the
// current step, outermost first.
func (r *runner) loopIndexes() []int {
	indexes := make([]int, len(r.loops))
	for i, l := range r.loops {
		indexes[i] = l.Index
	}
	return indexes
}

// stepPath locates a step with the indexes of the loops around it:
// "/steps/3[7]/foreach/steps/0" is the first step of item 7 of the
// foreach at /steps/3.
func (r *runner) stepPath(pointer string) string {
	for i := len(r.loops) - 1; i >= 0; i-- {
		l := r.loops[i]
		if rest, ok := strings.CutPrefix(pointer, l.Pointer); ok {
			pointer = fmt.Sprintf("%s[%d]%s", l.Pointer, l.Index, rest)
		}
	}
	return pointer
}

// output renders the definition's output mapping, or, without one, the
// outputs of the workflow's top-level steps by step id.
func (r *runner) output(outputs map[string]any) (json.RawMessage, error) {
	if r.prog.Output == nil {
		return r.encodeOutput(outputs)
	}
	result, err := r.prog.Output.Eval(&r.env)
	if err != nil {
		return nil, restate.ToTerminalError(fmt.Errorf("workflow output: %w", err), restate.WithErrorCode(codeExpression))
	}
	return r.encodeOutput(result)
}

func (r *runner) encodeOutput(result any) (json.RawMessage, error) {
	encoded, err := json.Marshal(result)
	if err != nil {
		return nil, restate.ToTerminalError(fmt.Errorf("workflow output: %w", err), restate.WithErrorCode(codeExpression))
	}
	if limit := r.in.cfg.limits.maxMessage; len(encoded) > limit {
		return nil, restate.ToTerminalError(fmt.Errorf("workflow %s: %s; return references (ids, URLs) to large data instead", r.prog.Name, sizeError("the output", len(encoded), limit, "WithMaxMessageSize")),
			restate.WithErrorCode(codeExpression), restate.WithMetadata(MetaCode, dsl.CodeOutputTooLarge))
	}
	return encoded, nil
}
