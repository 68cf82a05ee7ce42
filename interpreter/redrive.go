package interpreter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/rea"
)

// Redrive makes a run the continuation of a failed one: the RunRequest of
// a redriven run carries it, so what the run reuses is part of its
// journaled input and a replay makes the same decisions.
//
// A step whose path is in Reuse is not run: its output is the recorded
// one, no Run or call is journaled for it, and its compensation (rendered
// with that output) is registered as if it had just completed. Only steps
// that do work are reused (activity, sleep, await and workflow steps);
// set, switch and the other control steps are evaluated again, which is
// deterministic because everything they read is reused. A foreach item,
// or a parallel branch, all of whose work is reused is not sent to a
// child invocation at all.
type Redrive struct {
	// Of is the id of the failed run this run redrives.
	Of string `json:"of"`
	// Root is the id of the first run of the lineage. Idempotency keys
	// derive from it, so a redriven step sends the provider the key the
	// original run sent, and a provider that applied the effect but whose
	// answer was lost answers with the stored result instead of applying
	// it again.
	Root string `json:"root"`
	// Generation counts redrives from the root: its first redrive is 1.
	Generation int `json:"generation"`
	// Reuse holds the JSON outputs of the steps that completed, by step
	// path (see StepPath).
	Reuse map[string]json.RawMessage `json:"reuse,omitempty"`
	// Keys holds, by step path, the redrive generation whose keys a step
	// uses; a step not in it uses the root run's keys. A step gets a
	// generation of its own when the old key must not be sent again: the
	// provider refused it (a declined card, stored under that key), or the
	// redrive asks to run a completed step again (--from).
	Keys map[string]int `json:"keys,omitempty"`
}

// LineageService is the virtual object, keyed by the id of a redriven
// run, that records which run redrives it. Its Claim handler is called by
// the redriving run before its first step, so two redrives of one run
// cannot both proceed.
const LineageService = "ReaflowLineage"

// LineageRedrivenAs is the state key under which the lineage object of a
// run keeps the id of the run that redrives it.
const LineageRedrivenAs = "redrivenAs"

// StepPath is the path of a step in a run: its id, after the foreach
// steps around it with the item's index, as in "lines[3]/ship". Step ids
// are unique in a definition, so the path names one call of one step.
func StepPath(loops []PathLoop, id string) string {
	var b strings.Builder
	for _, l := range loops {
		b.WriteString(l.Step)
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(l.Index))
		b.WriteString("]/")
	}
	b.WriteString(id)
	return b.String()
}

// PathLoop is one foreach iteration in a step path.
type PathLoop struct {
	Step  string
	Index int
}

// ParseStepPath splits a step path ("lines[3]/ship") into the foreach
// items around the step and its id, as StepPath joins them.
func ParseStepPath(path string) ([]PathLoop, string, error) {
	elems := strings.Split(path, "/")
	var loops []PathLoop
	for _, elem := range elems[:len(elems)-1] {
		step, index, ok := strings.Cut(elem, "[")
		i, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
		if !ok || !strings.HasSuffix(index, "]") || err != nil || i < 0 || step == "" {
			return nil, "", fmt.Errorf("step path %q: %q is not a foreach item such as lines[3]", path, elem)
		}
		loops = append(loops, PathLoop{Step: step, Index: i})
	}
	return loops, elems[len(elems)-1], nil
}

// PathStepID returns the id of the step a step path names: its last
// element, without an index.
func PathStepID(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		path = path[i+1:]
	}
	return path
}

// reusable reports whether a step kind does work a redrive can reuse.
func reusable(step dsl.Step) bool {
	switch s := step.(type) {
	case *dsl.ActivityStep:
		// A caught step's output is its handler's; its handler's steps are
		// reused one by one instead.
		return len(s.Catch) == 0
	case *dsl.SleepStep, *dsl.AwaitStep, *dsl.WorkflowStep:
		return len(step.Info().Catch) == 0
	}
	return false
}

// CollectReuse adds to reuse the outputs of the completed steps among
// steps, given as a block's result holds them: outputs by step id, where
// a switch's output holds its case's outputs, a parallel step's its
// branches' and a foreach step's its items'. prefix is the path of the
// foreach item the steps run in ("" outside foreach steps, "lines[3]/"
// inside).
func CollectReuse(steps []dsl.Step, prefix string, outputs map[string]json.RawMessage, reuse map[string]json.RawMessage) {
	for _, step := range steps {
		info := step.Info()
		out, ok := outputs[info.ID]
		if !ok {
			continue
		}
		switch s := step.(type) {
		case *dsl.SwitchStep:
			var inner map[string]json.RawMessage
			if json.Unmarshal(out, &inner) == nil {
				for _, c := range s.Cases {
					CollectReuse(c.Steps, prefix, inner, reuse)
				}
				CollectReuse(s.Default, prefix, inner, reuse)
			}
		case *dsl.ParallelStep:
			var branches map[string]map[string]json.RawMessage
			if json.Unmarshal(out, &branches) == nil {
				for _, b := range s.Branches {
					CollectReuse(b.Steps, prefix, branches[b.Name], reuse)
				}
			}
		case *dsl.ForeachStep:
			var items []map[string]json.RawMessage
			if json.Unmarshal(out, &items) == nil {
				for i, item := range items {
					CollectReuse(s.Steps, prefix+StepPath([]PathLoop{{Step: s.ID, Index: i}}, ""), item, reuse)
				}
			}
		default:
			if reusable(step) {
				reuse[prefix+info.ID] = out
			}
		}
	}
}

// path is the step path of the step id in this invocation.
func (r *runner) path(id string) string {
	if len(r.loops) == 0 {
		return id
	}
	loops := make([]PathLoop, len(r.loops))
	for i, l := range r.loops {
		loops[i] = PathLoop{Step: l.Step, Index: l.Index}
	}
	return StepPath(loops, id)
}

// reused returns the recorded output of step when the run redrives one in
// which the step completed, registering its compensation as the step
// would have.
func (r *runner) reused(step dsl.Step) (any, bool, error) {
	if r.redrive == nil || len(r.redrive.Reuse) == 0 || !reusable(step) {
		return nil, false, nil
	}
	raw, ok := r.redrive.Reuse[r.path(step.Info().ID)]
	if !ok {
		return nil, false, nil
	}
	var out any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, false, badRequest("invalid redrive", fmt.Errorf("step %s: %w", r.path(step.Info().ID), err))
		}
	}
	if a, ok := step.(*dsl.ActivityStep); ok && a.Compensate != nil {
		if err := r.register(a, out); err != nil {
			return nil, false, err
		}
	}
	return out, true, nil
}

// keyRoot is the run id keys derive from and the redrive generation of
// the step id's keys.
func (r *runner) keyRoot(id string) (string, int) {
	if r.redrive == nil {
		return r.env.Workflow.ID, 0
	}
	return r.redrive.Root, r.redrive.Keys[r.path(id)]
}

// subset is the part of the redrive that concerns the steps under the
// path prefixes, for a child invocation that runs them.
func (rd *Redrive) subset(match func(path string) bool) *Redrive {
	if rd == nil {
		return nil
	}
	sub := &Redrive{Of: rd.Of, Root: rd.Root, Generation: rd.Generation}
	for path, out := range rd.Reuse {
		if match(path) {
			if sub.Reuse == nil {
				sub.Reuse = map[string]json.RawMessage{}
			}
			sub.Reuse[path] = out
		}
	}
	for path, gen := range rd.Keys {
		if match(path) {
			if sub.Keys == nil {
				sub.Keys = map[string]int{}
			}
			sub.Keys[path] = gen
		}
	}
	return sub
}

// items returns the indexes of the items of the foreach step id (in this
// invocation) that the redrive says anything about.
func (r *runner) itemsInRedrive(id string) map[int]bool {
	prefix := r.path(id) + "["
	found := map[int]bool{}
	note := func(path string) {
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok {
			return
		}
		end := strings.Index(rest, "]/")
		if end < 0 {
			return
		}
		if i, err := strconv.Atoi(rest[:end]); err == nil {
			found[i] = true
		}
	}
	for path := range r.redrive.Reuse {
		note(path)
	}
	for path := range r.redrive.Keys {
		note(path)
	}
	return found
}

// itemPrefix is the path prefix of the steps of item i of the foreach
// step id in this invocation.
func (r *runner) itemPrefix(id string, i int) string {
	return r.path(id) + "[" + strconv.Itoa(i) + "]/"
}

// inline runs steps in this invocation with nothing but reused outputs:
// it succeeds when every step that does work is reused, and reports false
// as soon as one would have to run, leaving the runner untouched. Items
// and branches that completed in the redriven run thus cost no child
// invocation and no journal entry.
func (r *runner) inline(req blockRequest, steps []dsl.Step, item *loop) (map[string]any, []compensation, bool) {
	inner := r.in.blockRunner(reuseOnly{}, r.prog, req)
	inner.redrive = r.redrive
	if item != nil {
		inner.env.Item, inner.env.Index = req.Items[0], item.Index
		inner.loops = append(inner.loops, *item)
	}
	out, err := inner.steps(steps)
	if err != nil {
		return nil, nil, false
	}
	return out, inner.undo, true
}

// errMustRun stops an inline walk at the first step that is not reused.
var errMustRun = errors.New("the step is not reused and must run")

// reuseOnly is the journal of inline walks: every operation must run.
type reuseOnly struct{}

func (reuseOnly) run(activityCall) (json.RawMessage, error)           { return nil, errMustRun }
func (reuseOnly) dedup(string, activityCall) (json.RawMessage, error) { return nil, errMustRun }
func (reuseOnly) callback(activityCall) (json.RawMessage, error)      { return nil, errMustRun }
func (reuseOnly) sleep(string, time.Duration) error                   { return errMustRun }
func (reuseOnly) now() (time.Time, error)                             { return time.Time{}, errMustRun }
func (reuseOnly) signal(string) (json.RawMessage, error)              { return nil, errMustRun }
func (reuseOnly) deadline(string, time.Duration) func()               { return func() {} }
func (reuseOnly) interrupted() error                                  { return nil }
func (reuseOnly) claim(string) error                                  { return errMustRun }
func (reuseOnly) child(string, RunRequest, bool) (json.RawMessage, error) {
	return nil, errMustRun
}
func (reuseOnly) blocks([]blockRequest, bool) ([]blockResult, []int, error) {
	return nil, nil, errMustRun
}

// checkRedrive refuses a redrive that cannot be right, before any step.
func (in *interpreter) checkRedrive(id string, rd *Redrive) error {
	switch {
	case rd.Of == "" || rd.Root == "":
		return badRequest("invalid redrive", errors.New("it names no redriven run or no lineage root"))
	case rd.Of == id:
		return badRequest("invalid redrive", fmt.Errorf("run %s cannot redrive itself; give the redrive a new id", id))
	case rd.Generation < 1:
		return badRequest("invalid redrive", fmt.Errorf("generation %d; the first redrive is generation 1", rd.Generation))
	}
	size := 0
	for path, out := range rd.Reuse {
		size += len(path) + len(out)
	}
	if limit := in.cfg.limits.maxMessage; size > limit {
		return restate.ToTerminalError(fmt.Errorf("invalid redrive: %s", sizeError("the reused outputs", size, limit, "WithMaxMessageSize")), restate.WithErrorCode(codeTooLarge))
	}
	return nil
}

// claim records this run as the redrive of the run of, through the
// lineage object, and fails if another run redrives it already.
func (j *restateJournal) claim(of string) error {
	_, err := restate.Object[string](j.ctx, LineageService, of, "Claim").Request(j.workflowID)
	return err
}

// claimLineage is the lineage object's Claim handler: the first run to
// claim a redriven run is its redrive; another one is refused. The same
// run claiming again (its handler retried) is let through.
func claimLineage(ctx restate.ObjectContext, redrive string) (string, error) {
	prev, err := restate.Get[string](ctx, LineageRedrivenAs)
	if err != nil {
		return "", err
	}
	if prev != "" && prev != redrive {
		return "", restate.ToTerminalError(fmt.Errorf("run %s is already redriven as %s; redrive that run instead", restate.Key(ctx), prev), restate.WithErrorCode(codeConflict))
	}
	restate.Set(ctx, LineageRedrivenAs, redrive)
	return redrive, nil
}

// redriveKeyParts are the key parts of a step that uses the keys of a
// redrive generation instead of the root run's.
func redriveKeyParts(generation int) []rea.KeyPart {
	return []rea.KeyPart{rea.Role("redrive"), rea.Index(generation)}
}

// redriveItems fills outputs with the items of a foreach step whose work
// the redrive reuses entirely, and returns the block requests for the
// others: at most Concurrency groups, each carrying its items' part of
// the redrive, so no request grows with the reuse of the whole step.
func (r *runner) redriveItems(s *dsl.ForeachStep, items []any, outputs []any) []blockRequest {
	known := r.itemsInRedrive(s.ID)
	var run []int
	for i := range items {
		if known[i] {
			req := r.request(s.ID)
			req.First, req.Items = i, items[i:i+1]
			if out, undo, ok := r.inline(req, s.Steps, &loop{Step: s.ID, Pointer: s.Pointer, Index: i}); ok {
				outputs[i] = out
				r.undo = append(r.undo, undo...)
				continue
			}
		}
		run = append(run, i)
	}
	if len(run) == 0 {
		return nil
	}
	groups := min(s.Concurrency, len(run))
	reqs := make([]blockRequest, groups)
	for g := range groups {
		lo, hi := g*len(run)/groups, (g+1)*len(run)/groups
		indexes := run[lo:hi]
		req := r.request(s.ID)
		req.First, req.Indexes = indexes[0], indexes
		req.Items = make([]any, len(indexes))
		mine := make(map[string]bool, len(indexes))
		for k, i := range indexes {
			req.Items[k] = items[i]
			if known[i] {
				mine[r.itemPrefix(s.ID, i)] = true
			}
		}
		n := len(r.path(s.ID))
		req.Redrive = r.redrive.subset(func(path string) bool {
			end := strings.Index(path[min(len(path), n):], "]/")
			return end >= 0 && mine[path[:n+end+2]]
		})
		reqs[g] = req
	}
	return reqs
}
