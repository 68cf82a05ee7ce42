package interpreter

import (
	"encoding/json"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
	"github.com/reaflow/reaflow/rea"
)

// journal is what a run asks of Restate. Every method is one journaled
// operation (or a fixed group of them), so a replay makes the same calls
// in the same order. The handlers use restateJournal; the interpreter's
// benchmarks replace it to measure the interpreter alone.
type journal interface {
	// run calls the activity inside one journaled Run.
	run(call activityCall) (json.RawMessage, error)
	// dedup asks the dedup object for key to run call, once across all
	// workflows, and returns its recorded output.
	dedup(key string, call activityCall) (json.RawMessage, error)
	// callback creates a callback (an awakeable), runs call with its id,
	// then waits until the callback is resolved and returns its value.
	callback(call activityCall) (json.RawMessage, error)
	// sleep waits durably; name labels the timer in the journal.
	sleep(name string, d time.Duration) error
	// now returns the time, journaled so that a replay sees the same.
	now() (time.Time, error)
	// signal waits for the run's signal name and returns its payload.
	signal(name string) (json.RawMessage, error)
	// blocks runs each request as a child invocation, concurrently, and
	// returns their results by index and the indexes in the order the
	// children finished. With failFast, the first failed result cancels
	// the others and is returned as the error. Results of children stopped
	// early are still collected, so that their compensations are not lost.
	blocks(reqs []blockRequest, failFast bool) (results []blockResult, order []int, err error)
	// child starts the run of another definition under id; with wait it
	// returns the child's output, without it nothing.
	child(id string, req RunRequest, wait bool) (json.RawMessage, error)
	// interrupted returns, once, a cancellation of the run that arrived
	// while an activity's Run was in flight and that run swallowed to
	// return the Run's outcome; nil when there is none.
	interrupted() error
	// deadline makes every wait until done fail with a *timeoutError
	// naming id once d has passed.
	deadline(id string, d time.Duration) (done func())
	// claim records the run as the redrive of the run of, and fails when
	// another run redrives it already.
	claim(of string) error
}

// timeoutError is returned by a wait whose deadline passed; the step (or
// workflow, id "") that set the deadline turns it into its failure.
type timeoutError struct {
	id      string
	timeout time.Duration
}

func (e *timeoutError) Error() string { return "timed out after " + e.timeout.String() }

// restateJournal implements journal on a handler's Restate context.
type restateJournal struct {
	ctx restate.Context
	in  *interpreter
	// workflowID is the key of the run's Reaflow workflow, whose promises
	// carry signals.
	workflowID string
	// promises is the workflow's own context in its Run handler; nil in
	// block invocations, which wait for signals through the workflow's
	// Await handler.
	promises restate.WorkflowSharedContext
	timers   []timer
	// cancel is a cancellation that arrived while a Run was in flight and
	// that the Run's step has yet to pass on (see interrupted).
	cancel error
}

// timer is an active deadline.
type timer struct {
	id      string
	timeout time.Duration
	fut     restate.AfterFuture
}

func (j *restateJournal) deadline(id string, d time.Duration) func() {
	fut := restate.After(j.ctx, d, restate.WithName(journalname.TimeoutTimer(id)))
	j.timers = append(j.timers, timer{id: id, timeout: d, fut: fut})
	n := len(j.timers)
	return func() { j.timers = j.timers[:n-1] }
}

// wait blocks until fut completes or a deadline passes, whichever comes
// first, and returns Restate's cancellation if the run is cancelled
// meanwhile. It waits through WaitFirst even without deadlines: a
// future's own Result remembers a cancellation as its result for good,
// while WaitFirst leaves the future to be waited for again (see run).
func (j *restateJournal) wait(fut restate.Future) error {
	futs := []restate.Future{fut}
	for _, t := range j.timers {
		futs = append(futs, t.fut)
	}
	first, err := restate.WaitFirst(j.ctx, futs...)
	if err != nil {
		return err
	}
	return j.expired(first)
}

// expired returns the timeout of the deadline whose timer is fut, or nil.
func (j *restateJournal) expired(fut restate.Future) error {
	for _, t := range j.timers {
		if t.fut == fut {
			return &timeoutError{id: t.id, timeout: t.timeout}
		}
	}
	return nil
}

func (j *restateJournal) run(call activityCall) (json.RawMessage, error) {
	fut := restate.RunAsync(j.ctx, j.in.call(call), append(call.Retry.Options(), rawJSONResult)...)
	err := j.wait(fut)
	var out json.RawMessage
	if err == nil {
		out, err = fut.Result()
	}
	if !isCancelled(err) {
		return out, err
	}
	// Cancelled while the activity was in flight: its effect may have
	// happened, and the Run's outcome is still to be journaled. Wait for
	// it a little, so that a step that did complete is compensated like
	// any other; the cancellation is kept for interrupted. A Run that
	// keeps failing (retrying against a provider that is down) is given
	// up after cancelGrace, so that a cancellation always ends the run.
	grace := restate.After(j.ctx, cancelGrace, restate.WithName(journalname.CancelGraceTimer(call.StepID)))
	first, waitErr := restate.WaitFirst(j.ctx, fut, grace)
	if waitErr != nil || first != fut {
		return nil, err
	}
	out, runErr := fut.Result()
	if runErr != nil {
		return nil, err
	}
	j.cancel = err
	return out, nil
}

// rawJSONResult journals an activity's output as the bytes the activity's
// registry encoded (see interpreter.call), built once rather than per Run.
var rawJSONResult restate.RunOption = restate.WithCodec(rea.RawJSON)

// cancelGrace is how long a cancelled run waits for the outcome of the
// activity in flight before it gives the step up as not completed.
const cancelGrace = 5 * time.Second

func (j *restateJournal) interrupted() error {
	err := j.cancel
	j.cancel = nil
	return err
}

func (j *restateJournal) dedup(key string, call activityCall) (json.RawMessage, error) {
	fut := restate.Object[rea.DedupOutcome](j.ctx, DedupService, key, "Run").RequestFuture(call)
	if err := j.wait(fut); err != nil {
		return nil, err
	}
	outcome, err := fut.Response()
	if err != nil {
		return nil, err
	}
	if outcome.Error != nil {
		return nil, outcome.Error.Err()
	}
	return outcome.Output, nil
}

func (j *restateJournal) callback(call activityCall) (json.RawMessage, error) {
	awakeable := restate.Awakeable[json.RawMessage](j.ctx)
	call.CallbackID = awakeable.Id()
	if _, err := j.run(call); err != nil {
		return nil, err
	}
	// Cancelled while the activity ran: no need to wait for the outside
	// system. The step has not completed, so it has nothing to undo.
	if err := j.interrupted(); err != nil {
		return nil, err
	}
	if err := j.wait(awakeable); err != nil {
		return nil, err
	}
	out, err := awakeable.Result()
	if err != nil && !isCancelled(err) {
		return nil, restate.ToTerminalError(err, restate.WithErrorCode(codeStepFailed), restate.WithMetadata(MetaCode, dsl.CodeCallbackRejected))
	}
	return out, err
}

func (j *restateJournal) sleep(name string, d time.Duration) error {
	fut := restate.After(j.ctx, d, restate.WithName(name))
	if err := j.wait(fut); err != nil {
		return err
	}
	return fut.Done()
}

func (j *restateJournal) now() (time.Time, error) {
	return rea.NewDeterministicHelpers(j.ctx).Now()
}

func (j *restateJournal) signal(name string) (json.RawMessage, error) {
	var fut interface {
		restate.Future
		Result() (json.RawMessage, error)
	}
	if j.promises != nil {
		fut = promiseResult{restate.Promise[json.RawMessage](j.promises, journalname.SignalPromise(name))}
	} else {
		fut = responseResult{restate.Workflow[json.RawMessage](j.ctx, WorkflowService, j.workflowID, "Await").RequestFuture(name)}
	}
	if err := j.wait(fut); err != nil {
		return nil, err
	}
	return fut.Result()
}

func (j *restateJournal) child(id string, req RunRequest, wait bool) (json.RawMessage, error) {
	if !wait {
		restate.WorkflowSend(j.ctx, WorkflowService, id, "Run").Send(req)
		return nil, nil
	}
	fut := restate.Workflow[json.RawMessage](j.ctx, WorkflowService, id, "Run").RequestFuture(req)
	if err := j.wait(fut); err != nil {
		return nil, err
	}
	return fut.Response()
}

// promiseResult and responseResult give a durable promise and a call the
// same Result method.
type promiseResult struct {
	restate.DurablePromise[json.RawMessage]
}

func (p promiseResult) Result() (json.RawMessage, error) { return p.DurablePromise.Result() }

type responseResult struct {
	restate.ResponseFuture[json.RawMessage]
}

func (r responseResult) Result() (json.RawMessage, error) { return r.Response() }

func (j *restateJournal) blocks(reqs []blockRequest, failFast bool) ([]blockResult, []int, error) {
	futs := make([]restate.ResponseFuture[blockResult], len(reqs))
	index := make(map[restate.Future]int, len(reqs))
	waitOn := make([]restate.Future, 0, len(reqs)+len(j.timers))
	for i, req := range reqs {
		futs[i] = restate.Service[blockResult](j.ctx, BlockService, "Run").RequestFuture(req)
		index[futs[i]] = i
		waitOn = append(waitOn, futs[i])
	}
	for _, t := range j.timers {
		waitOn = append(waitOn, t.fut)
	}
	results := make([]blockResult, len(reqs))
	done := make([]bool, len(reqs))
	order := make([]int, 0, len(reqs))
	var stop error
	it := restate.WaitIter(j.ctx, waitOn...)
	for remaining := len(reqs); remaining > 0 && stop == nil && it.Next(); {
		fut := it.Value()
		i, ok := index[fut]
		if !ok {
			stop = j.expired(fut)
			break
		}
		results[i], done[i] = j.response(futs[i]), true
		order = append(order, i)
		remaining--
		if failFast && results[i].Failure != nil {
			stop = results[i].Failure.err()
		}
	}
	if err := it.Err(); err != nil {
		stop = err
	}
	if stop == nil {
		return results, order, nil
	}
	// Stop the children still running and collect what they did: a
	// cancelled child returns its completed steps' compensations.
	for i := range futs {
		if !done[i] {
			restate.CancelInvocation(j.ctx, futs[i].GetInvocationId())
		}
	}
	for i := range futs {
		if !done[i] {
			results[i] = j.response(futs[i])
			order = append(order, i)
		}
	}
	return results, order, stop
}

// response returns a child's result; a child that failed as a whole (it
// cannot, short of a bug or a cancellation before it started) becomes a
// failed result.
func (j *restateJournal) response(fut restate.ResponseFuture[blockResult]) blockResult {
	res, err := fut.Response()
	if err != nil {
		f := failureOf(err)
		return blockResult{Failure: &f}
	}
	return res
}
