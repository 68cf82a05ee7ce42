package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
)

// CodeUnmocked is the error code of a call that no mock of the scenario
// answers. The call fails terminally rather than reaching a real
// provider: a scenario says everything its run does, and a forgotten mock
// should not turn into a charge.
const CodeUnmocked = "unmocked_activity"

// CodeMockFailed is the error code of a call whose mock could not render
// its output or message.
const CodeMockFailed = "mock_failed"

// recorder is the state of one scenario's mocks: every call the run made,
// in the order of first attempts, and what went wrong in the mocks.
type recorder struct {
	s *Scenario

	mu sync.Mutex
	// runID is the run the calls come from (its child runs are
	// runID.step), keyRoot the run its keys derive from: the scenario's
	// run, also for its redrive.
	runID, keyRoot string
	mocks          mockSet
	calls          []*callRecord
	byKey          map[string]*callRecord
	problems       []Problem
	changed        chan struct{} // closed and replaced whenever a call completes
}

// callRecord is one activity call of the run: a step's call or a
// compensation, with all its attempts.
type callRecord struct {
	call
	activity   string
	key        string
	attempts   int
	callbackID string
	succeeded  bool
}

func newRecorder(s *Scenario) *recorder {
	return &recorder{s: s, runID: s.RunID, keyRoot: s.RunID, mocks: s.mocks, byKey: map[string]*callRecord{}, changed: make(chan struct{})}
}

// redrive starts recording the calls of the redrive id, answered by the
// redrive's mocks, afresh.
func (r *recorder) redrive(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runID, r.mocks = id, r.s.Redrive.mocks
	r.calls, r.byKey, r.problems = nil, map[string]*callRecord{}, nil
}

// register puts a mock in reg for every activity the definition calls.
func (r *recorder) register(reg *activities.Registry) {
	for _, name := range r.s.File.def.activityNames() {
		activities.Register(reg, name, func(ctx *activities.Context, input json.RawMessage) (json.RawMessage, error) {
			return r.answer(ctx, name, input)
		})
	}
}

// answer is one attempt of one call.
func (r *recorder) answer(ctx *activities.Context, activity string, input json.RawMessage) (json.RawMessage, error) {
	rec, attempt := r.attempt(ctx, activity)
	mock := r.mockFor(rec)
	if mock == nil {
		r.problem("mocks", fmt.Sprintf("step %s called activity %s, which no mock answers: add mocks.activities.%s or mocks.steps.%s", rec.name, activity, activity, rec.stepID))
		return nil, activities.TerminalErrorf(CodeUnmocked, "no mock for activity %s (step %s)", activity, rec.name)
	}
	if mock.Latency > 0 {
		t := time.NewTimer(mock.Latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	if attempt <= mock.FailAttempts {
		// The message must not read "word: ...": clients find a failed
		// run's error code in that form once retries run out.
		return nil, fmt.Errorf("attempt %d of %s fails, as the mock's failAttempts (%d) says", attempt, rec.name, mock.FailAttempts)
	}
	env, err := templateEnv(ctx.WorkflowID, input)
	if err != nil {
		return nil, r.mockFailed(rec, err)
	}
	if mock.Error != nil {
		msg := "mock error " + mock.Error.Code
		if mock.Error.Message != nil {
			v, err := mock.Error.Message.Eval(env)
			if err != nil {
				return nil, r.mockFailed(rec, err)
			}
			msg = fmt.Sprint(v)
		}
		return nil, &activities.Error{Code: mock.Error.Code, Message: msg, Terminal: true}
	}
	var out any
	if mock.Output != nil {
		if out, err = mock.Output.Eval(env); err != nil {
			return nil, r.mockFailed(rec, err)
		}
	}
	encoded, err := json.Marshal(out)
	if err != nil {
		return nil, r.mockFailed(rec, err)
	}
	r.succeeded(rec, ctx.CallbackID)
	return encoded, nil
}

// attempt records an attempt of the call ctx describes and returns the
// call and the attempt's number, from 1. Attempts of one call share its
// idempotency key.
func (r *recorder) attempt(ctx *activities.Context, activity string) (*callRecord, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := activity + "\x00" + ctx.IdempotencyKey
	rec, ok := r.byKey[id]
	if !ok {
		c := r.s.File.def.classify(r.runID, r.keyRoot, ctx.WorkflowID, ctx.StepID, ctx.StepPath, ctx.IdempotencyKey)
		rec = &callRecord{call: c, activity: activity, key: ctx.IdempotencyKey}
		r.byKey[id] = rec
		r.calls = append(r.calls, rec)
	}
	rec.attempts++
	return rec, rec.attempts
}

// mockFor picks the mock of a call: the step's (or its compensation's)
// before the activity's.
func (r *recorder) mockFor(rec *callRecord) *Mock {
	r.mu.Lock()
	mocks := r.mocks
	r.mu.Unlock()
	byStep := mocks.steps
	if rec.compensation {
		byStep = mocks.compensations
	}
	if m, ok := byStep[rec.stepID]; ok {
		return m
	}
	return mocks.activities[rec.activity]
}

func (r *recorder) mockFailed(rec *callRecord, err error) error {
	r.problem("mocks", fmt.Sprintf("the mock of step %s (activity %s) failed: %v", rec.name, rec.activity, err))
	return activities.TerminalErrorf(CodeMockFailed, "the mock of %s failed: %v", rec.name, err)
}

func (r *recorder) succeeded(rec *callRecord, callbackID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec.succeeded, rec.callbackID = true, callbackID
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) problem(field, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, Problem{Field: field, Message: msg})
}

// waitFor returns the first call of the step named name (id, id[index],
// child/id) once it has succeeded, or an error when ctx ends first.
func (r *recorder) waitFor(ctx context.Context, name string) (callRecord, error) {
	for {
		r.mu.Lock()
		changed := r.changed
		for _, rec := range r.calls {
			if rec.name == name && !rec.compensation && rec.succeeded {
				r.mu.Unlock()
				return *rec, nil
			}
		}
		r.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return callRecord{}, ctx.Err()
		}
	}
}

// snapshot copies the calls so far.
func (r *recorder) snapshot() ([]callRecord, []Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := make([]callRecord, len(r.calls))
	for i, rec := range r.calls {
		calls[i] = *rec
	}
	return calls, append([]Problem(nil), r.problems...)
}

// templateEnv is what a mock's templates see: the activity's input as
// input, and the run's id as workflow.id.
func templateEnv(workflowID string, input json.RawMessage) (*dsl.Env, error) {
	var in any
	if len(input) > 0 {
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, err
		}
	}
	return &dsl.Env{Input: in, Steps: map[string]any{}, Vars: map[string]any{}, Workflow: dsl.WorkflowInfo{ID: workflowID}}, nil
}
