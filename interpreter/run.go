package interpreter

import (
	"bytes"
	"encoding/json"
	"fmt"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
)

// run is the Reaflow workflow's Run handler.
func (in *interpreter) run(ctx restate.WorkflowContext, req RunRequest) (json.RawMessage, error) {
	file := req.File
	if file == "" {
		file = "definition"
	}
	prog, err := in.programs.load(req.Definition, func() (*dsl.Program, error) {
		return dsl.Load(file, []byte(req.Definition), in.loadOptions...)
	})
	if err != nil {
		return nil, badRequest("invalid definition", err)
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
	return newRunner(in, restateJournal{ctx: ctx, in: in}, prog, restate.Key(ctx), input).walk()
}

// runner is the state of one run while its handler executes (or replays).
type runner struct {
	in      *interpreter
	journal journal
	prog    *dsl.Program
	env     dsl.Env
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

// walk runs the steps in order and renders the output.
func (r *runner) walk() (json.RawMessage, error) {
	for _, step := range r.prog.Steps {
		if err := r.exec(step); err != nil {
			return nil, err
		}
	}
	return r.output()
}

func (r *runner) exec(step dsl.Step) error {
	info := step.Info()
	if info.When != nil {
		run, err := info.When.EvalBool(&r.env)
		if err != nil {
			return expressionFailed(info, err)
		}
		if !run {
			return nil
		}
	}
	switch s := step.(type) {
	case *dsl.ActivityStep:
		out, err := r.activity(s)
		if err != nil {
			return err
		}
		r.env.Steps[s.ID] = map[string]any{"output": out}
	case *dsl.SetStep:
		for _, assign := range s.Vars {
			value, err := assign.Value.Eval(&r.env)
			if err != nil {
				return expressionFailed(info, err)
			}
			r.env.Vars[assign.Name] = value
		}
	default:
		// Compile produces only the kinds above; reaching this is a bug in
		// this package, and retrying will not fix it.
		return restate.TerminalErrorf("step %q: the interpreter does not support %T", info.ID, step)
	}
	return nil
}

// output renders the definition's output mapping, or, without one, an
// object of every completed activity step's output by step id.
func (r *runner) output() (json.RawMessage, error) {
	var result any
	if r.prog.Output == nil {
		outputs := make(map[string]any, len(r.env.Steps))
		for id, step := range r.env.Steps {
			outputs[id] = step.(map[string]any)["output"]
		}
		result = outputs
	} else {
		var err error
		result, err = r.prog.Output.Eval(&r.env)
		if err != nil {
			return nil, restate.ToTerminalError(fmt.Errorf("workflow output: %w", err), restate.WithErrorCode(codeExpression))
		}
	}
	encoded, err := json.Marshal(result)
	if err != nil {
		return nil, restate.ToTerminalError(fmt.Errorf("workflow output: %w", err), restate.WithErrorCode(codeExpression))
	}
	return encoded, nil
}
