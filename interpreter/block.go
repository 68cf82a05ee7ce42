package interpreter

import (
	"fmt"
	"maps"
	"strings"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
)

// foreachChunk is the most items one invocation runs itself; a group with
// more calls child invocations of at most this many, one after the other,
// so that no journal grows with the number of items.
const foreachChunk = 100

// blockRequest asks a ReaflowBlock invocation to run one parallel branch,
// or a contiguous range of a foreach step's items one after the other.
type blockRequest struct {
	source
	WorkflowID string `json:"workflowId"`
	journalname.BlockCall[any]
	// Env is what the steps before the block left for expressions.
	Env   envSnapshot `json:"env"`
	Loops []loop      `json:"loops,omitempty"`
	// Redrive is the part of the run's redrive that concerns the block.
	Redrive *Redrive `json:"redrive,omitempty"`
}

// index is the index of the block's item k.
func (req *blockRequest) index(k int) int {
	if req.Indexes != nil {
		return req.Indexes[k]
	}
	return req.First + k
}

// envSnapshot is dsl.Env as it travels to a block invocation.
type envSnapshot struct {
	Input any            `json:"input"`
	Steps map[string]any `json:"steps"`
	Vars  map[string]any `json:"vars"`
	Item  any            `json:"item,omitempty"`
	Index int            `json:"index,omitempty"`
	Error dsl.ErrorInfo  `json:"error"`
}

// blockResult is what a block invocation did. It never fails as a whole
// for a step's failure: the failure travels in the result with the
// compensations of the steps that completed, so the run can undo them.
type blockResult struct {
	// Outputs has one entry for a branch, and one per item run for a
	// foreach range: the outputs of the steps by id.
	Outputs []map[string]any `json:"outputs"`
	Failure *failure         `json:"failure,omitempty"`
	Undo    []compensation   `json:"undo,omitempty"`
}

// request starts a block request from the runner's current state.
func (r *runner) request(step string) blockRequest {
	return blockRequest{
		source:     r.source,
		WorkflowID: r.env.Workflow.ID,
		BlockCall:  journalname.BlockCall[any]{Step: step},
		Env: envSnapshot{
			Input: r.env.Input, Steps: r.env.Steps, Vars: r.env.Vars,
			Item: r.env.Item, Index: r.env.Index, Error: r.env.Error,
		},
		Loops: r.loops,
	}
}

// parallel runs each branch as a child invocation, all at once. The
// output is each branch's step outputs by branch name.
func (r *runner) parallel(s *dsl.ParallelStep) (any, error) {
	out := make(map[string]any, len(s.Branches))
	reqs := make([]blockRequest, 0, len(s.Branches))
	branches := make([]*dsl.Branch, 0, len(s.Branches))
	for _, b := range s.Branches {
		req := r.request(s.ID)
		req.Branch = b.Name
		if r.redrive != nil {
			if outputs, undo, ok := r.inline(req, b.Steps, nil); ok {
				out[b.Name] = outputs
				r.undo = append(r.undo, undo...)
				continue
			}
			prefix := r.path("")
			req.Redrive = r.redrive.subset(func(path string) bool { return strings.HasPrefix(path, prefix) })
		}
		reqs = append(reqs, req)
		branches = append(branches, b)
	}
	if len(reqs) == 0 {
		return out, nil
	}
	if err := r.checkBlockRequests(&s.StepInfo, "parallel", reqs); err != nil {
		return nil, err
	}
	results, order, err := r.journal.blocks(reqs, s.FailFast)
	for i, res := range results {
		if len(res.Outputs) == 1 {
			out[branches[i].Name] = res.Outputs[0]
		}
		if err == nil && res.Failure != nil {
			err = res.Failure.err()
		}
	}
	r.collect(results, order)
	return out, err
}

// foreach splits the items into at most Concurrency contiguous groups, one
// child invocation each, so that at most Concurrency items run at once.
// The output lists each item's step outputs, in item order.
func (r *runner) foreach(s *dsl.ForeachStep) (any, error) {
	value, err := s.Items.Eval(&r.env)
	if err != nil {
		return nil, expressionFailed(&s.StepInfo, err)
	}
	items, ok := value.([]any)
	switch {
	case value == nil:
		items = nil
	case !ok:
		return nil, expressionFailed(&s.StepInfo, fmt.Errorf("%s: foreach items %s: expected an array, got %T", s.Items.Pointer, s.Items.Source, value))
	case len(items) > r.in.cfg.limits.maxForeachItems:
		return nil, expressionFailed(&s.StepInfo, fmt.Errorf("%s: foreach items %s: %d items, more than the limit of %d (interpreter.WithMaxForeachItems)", s.Items.Pointer, s.Items.Source, len(items), r.in.cfg.limits.maxForeachItems))
	}
	outputs := make([]any, len(items))
	if len(items) == 0 {
		return outputs, nil
	}
	var reqs []blockRequest
	if r.redrive != nil {
		reqs = r.redriveItems(s, items, outputs)
		if len(reqs) == 0 {
			return outputs, nil
		}
	} else {
		groups := min(s.Concurrency, len(items))
		reqs = make([]blockRequest, groups)
		for g := range groups {
			lo, hi := g*len(items)/groups, (g+1)*len(items)/groups
			reqs[g] = r.request(s.ID)
			reqs[g].First, reqs[g].Items = lo, items[lo:hi]
		}
	}
	if err := r.checkBlockRequests(&s.StepInfo, "foreach", reqs); err != nil {
		return nil, err
	}
	results, order, err := r.journal.blocks(reqs, true)
	for g, res := range results {
		for k, out := range res.Outputs {
			outputs[reqs[g].index(k)] = out
		}
		if err == nil && res.Failure != nil {
			err = res.Failure.err()
		}
	}
	r.collect(results, order)
	return outputs, err
}

// collect adds the compensations of finished blocks, in the order the
// blocks finished.
func (r *runner) collect(results []blockResult, order []int) {
	for _, i := range order {
		r.undo = append(r.undo, results[i].Undo...)
	}
}

// block is the ReaflowBlock service's Run handler.
func (in *interpreter) block(ctx restate.Context, req blockRequest) (blockResult, error) {
	prog, err := in.load(req.Definition, req.File)
	if err != nil {
		return blockResult{}, badRequest("invalid definition", err)
	}
	j := &restateJournal{ctx: ctx, in: in, workflowID: req.WorkflowID}
	switch s := prog.Step(req.Step).(type) {
	case *dsl.ParallelStep:
		if b := s.Branch(req.Branch); b != nil {
			r := in.blockRunner(j, prog, req)
			out, err := r.steps(b.Steps)
			res, err := finish(blockResult{Outputs: []map[string]any{out}, Undo: r.undo}, err)
			return in.checkBlockResult(res, s.ID, fmt.Sprintf("branch %q", b.Name)), err
		}
	case *dsl.ForeachStep:
		what := fmt.Sprintf("items %d to %d", req.index(0), req.index(len(req.Items)-1))
		if len(req.Items) > foreachChunk {
			res, err := in.chunks(j, req)
			return in.checkBlockResult(res, s.ID, what), err
		}
		var res blockResult
		for k, item := range req.Items {
			r := in.blockRunner(j, prog, req)
			r.env.Item, r.env.Index = item, req.index(k)
			r.loops = append(r.loops, loop{Step: s.ID, Pointer: s.Pointer, Index: req.index(k)})
			out, err := r.steps(s.Steps)
			res.Undo = append(res.Undo, r.undo...)
			if err != nil {
				return finish(res, err)
			}
			res.Outputs = append(res.Outputs, out)
		}
		return in.checkBlockResult(res, s.ID, what), nil
	}
	return blockResult{}, restate.TerminalErrorf("definition %s has no parallel branch or foreach step %q %q", prog.Name, req.Step, req.Branch)
}

// chunks runs a range of more than foreachChunk items as child
// invocations of at most foreachChunk items, one after the other.
func (in *interpreter) chunks(j *restateJournal, req blockRequest) (blockResult, error) {
	var res blockResult
	for lo := 0; lo < len(req.Items); lo += foreachChunk {
		sub := req
		hi := min(lo+foreachChunk, len(req.Items))
		sub.First, sub.Items = req.index(lo), req.Items[lo:hi]
		if req.Indexes != nil {
			sub.Indexes = req.Indexes[lo:hi]
		}
		results, _, err := j.blocks([]blockRequest{sub}, true)
		part := results[0]
		res.Outputs = append(res.Outputs, part.Outputs...)
		res.Undo = append(res.Undo, part.Undo...)
		if err != nil {
			return finish(res, err)
		}
	}
	return res, nil
}

// blockRunner is a runner for a block invocation, with the environment the
// steps before the block left.
func (in *interpreter) blockRunner(j journal, prog *dsl.Program, req blockRequest) *runner {
	r := newRunner(in, j, prog, req.WorkflowID, req.Env.Input)
	r.source = req.source
	r.env.Steps = maps.Clone(req.Env.Steps)
	if r.env.Steps == nil {
		r.env.Steps = map[string]any{}
	}
	r.env.Vars = maps.Clone(req.Env.Vars)
	if r.env.Vars == nil {
		r.env.Vars = map[string]any{}
	}
	r.env.Item, r.env.Index, r.env.Error = req.Env.Item, req.Env.Index, req.Env.Error
	r.loops = append([]loop(nil), req.Loops...)
	r.redrive = req.Redrive
	return r
}

// finish completes res with err: a step's terminal failure (or the
// block's cancellation) goes into the result; anything else is the
// invocation's own error, which Restate retries.
func finish(res blockResult, err error) (blockResult, error) {
	if err == nil {
		return res, nil
	}
	if !restate.IsTerminalError(err) {
		return blockResult{}, err
	}
	f := failureOf(err)
	res.Failure = &f
	return res, nil
}
