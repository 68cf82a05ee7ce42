package runstatus

import (
	"fmt"
	"strings"
	"time"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
)

// A run's journal is read the way the interpreter wrote it: the steps of
// a list run in order, and each step's commands are the next ones in the
// journal, named by the step's id (a Run, a timer, a call whose parameter
// names the step). So walking the definition alongside the journal places
// every entry: an entry of a later step means the steps in between were
// passed over, an entry of an earlier step (or of no step of the list)
// means the list ended, as when a foreach item's steps start again for the
// next item. The steps of a switch case and of a catch handler are in the
// same journal; parallel branches and foreach items are in the journals of
// child invocations, read one level at a time.

// fetch is the state of one Fetch.
type fetch struct {
	rd   *Reader
	plan *plan
	run  *Run
	// jobs are child invocations to read and walk next.
	jobs []*job
	// byID finds the shown status of a step, for its compensation.
	byID map[string]*StepStatus
	// tallies are the foreach steps shown, whose counts are filled in at
	// the end.
	tallies []*tally
	// leaves are the steps in progress at any depth, foreach items'
	// included.
	leaves []leaf
	// compensating is true while the run undoes its steps.
	compensating bool
}

// job is a child invocation to walk once its journal is read.
type job struct {
	id       string
	finished bool
	failure  *result
	walk     func(*invocation)
}

// leaf is a step in progress that holds no other.
type leaf struct {
	state      State
	waitingFor string
	err        string
}

// tally counts the items of one foreach step as its groups report them.
type tally struct {
	st      *StepStatus
	counts  ItemCounts
	compOK  map[int]bool
	compErr map[int]bool
	// cancelled is true when the step's blocks were cancelled.
	cancelled bool
	// compensating is true while compensations of its items run.
	compensating bool
}

// outcome is how a step, or a list of steps, stands.
type outcome int

const (
	outDone   outcome = iota // finished (or passed over); what follows may run
	outOpen                  // in progress
	outFailed                // failed, and the failure was not caught
)

// walker reads one invocation's journal.
type walker struct {
	f   *fetch
	inv *invocation
	j   *journal
	// pos is the next command to read.
	pos int
	// root is the list the invocation runs; entries of no step in it are
	// passed over.
	root *stepList
	// awakeables counts the callbacks the invocation has created.
	awakeables int
	// hidden is true for foreach items, whose steps are not shown.
	hidden bool
	// deadlines are the timeouts around the step being read.
	deadlines []deadline
}

type deadline struct {
	id         string
	completion int
}

func (f *fetch) walker(inv *invocation, root *stepList, hidden bool) *walker {
	w := &walker{f: f, inv: inv, j: inv.journal, root: root, hidden: hidden}
	if w.j.deadline != 0 {
		w.deadlines = append(w.deadlines, deadline{completion: w.j.deadline})
	}
	return w
}

// walkRun reads the run's own journal.
func (f *fetch) walkRun(inv *invocation) {
	w := f.walker(inv, f.plan.top, false)
	f.run.Steps = make([]StepStatus, len(f.plan.top.nodes))
	w.list(f.plan.top, f.run.Steps)
	f.compensations(w)
}

func (w *walker) peek() (*command, bool) {
	if w.pos >= len(w.j.cmds) {
		return nil, false
	}
	return &w.j.cmds[w.pos], true
}

// attribute returns the id of the step the command belongs to; "" for a
// command of no step. A journaled clock read belongs to the next step of
// l, from position i, that sleeps until a time.
func (w *walker) attribute(c *command, l *stepList, i int) string {
	switch c.kind {
	case cmdRun:
		switch c.entry.Kind {
		case journalname.Clock:
			return w.f.plan.sleepUntil(l, i)
		case journalname.Activity:
			return c.entry.Step
		}
	case cmdSleep:
		switch c.entry.Kind {
		case journalname.Sleep, journalname.Timeout:
			return c.entry.Step
		}
	case cmdBlock, cmdDedup:
		return c.step
	case cmdAwait:
		if a := w.f.plan.prog.Await(c.signal); a != nil {
			return a.ID
		}
	case cmdChild:
		return w.f.plan.workflowStep(w.f.run.WorkflowID, c.key)
	}
	return ""
}

// list reads the steps of l into out, which has a status per step.
func (w *walker) list(l *stepList, out []StepStatus) outcome {
	for k, n := range l.nodes {
		describe(n, &out[k])
	}
	for i := 0; i < len(l.nodes); {
		c, ok := w.peek()
		if !ok {
			return w.exhausted(l, out, i)
		}
		id := w.attribute(c, l, i)
		j := -1
		if id != "" {
			j = w.f.plan.position(id, l)
		}
		if c.kind == cmdRun && c.entry.Kind == journalname.Compensation {
			// The run failed, and undoes its steps.
			return w.stopped(l, out, i)
		}
		if j < 0 && l == w.root {
			w.pos++ // an entry of no step, such as a Restate call of its own
			continue
		}
		if j < i {
			w.passed(l, out, i, len(l.nodes))
			return outDone
		}
		w.passed(l, out, i, j)
		o := w.step(l.nodes[j], &out[j])
		i = j + 1
		if o != outDone {
			return o
		}
	}
	return outDone
}

// passed marks the steps of l from i to j, which have no journal entries,
// as run without any (set steps, and switch steps whose case did the same,
// and in a redrive the steps of its own invocation whose outputs it
// reuses) or skipped by their when guard.
func (w *walker) passed(l *stepList, out []StepStatus, i, j int) {
	reused := w.f.rd.reused[w.inv.id]
	for k := i; k < j; k++ {
		n, st := l.nodes[k], &out[k]
		_, isSet := n.step.(*dsl.SetStep)
		_, isSwitch := n.step.(*dsl.SwitchStep)
		switch {
		case isSet || (isSwitch && n.info.When == nil):
			st.State = Done
		case reused[n.info.ID]:
			st.State, st.Reused = Done, true
		default:
			st.State = Skipped
		}
	}
}

// exhausted decides the steps of l from i on once the journal has no more
// entries: run without any if the invocation finished, except for the step
// its failure names; pending (or the step Restate is retrying) if it is
// still running.
func (w *walker) exhausted(l *stepList, out []StepStatus, i int) outcome {
	inv := w.inv
	if !inv.finished {
		if inv.lastFailure != "" && inv.failedCommand != "" {
			if j := w.f.plan.position(inv.failedCommand, l); j >= i && w.f.plan.nodes[inv.failedCommand] == l.nodes[j] {
				w.passed(l, out, i, j)
				st := &out[j]
				w.step0(l.nodes[j], st)
				st.State, st.Attempts, st.Error = Retrying, inv.attempts, inv.lastFailure
				w.f.leaves = append(w.f.leaves, leaf{state: Retrying, err: inv.lastFailure})
			}
		}
		return outOpen
	}
	if w.j.cancelled() {
		return outFailed
	}
	if inv.failure != nil {
		return w.stopped(l, out, i)
	}
	w.passed(l, out, i, len(l.nodes))
	return outDone
}

// stopped decides the steps of l from i on in an invocation that failed
// with no journal entry of l's to show for it: if the failure names a step
// of l, that step failed (a fail step, an expression), those before it ran
// without entries or were skipped, and those after it did not run; if it
// names a step elsewhere, l's steps ran without entries.
func (w *walker) stopped(l *stepList, out []StepStatus, i int) outcome {
	f := w.inv.failure
	if f == nil || f.step == "" {
		return outFailed
	}
	j := w.f.plan.position(f.step, l)
	if j < i {
		w.passed(l, out, i, len(l.nodes))
		return outDone
	}
	w.passed(l, out, i, j)
	st := &out[j]
	w.step0(l.nodes[j], st)
	st.State, st.Error = Failed, f.message
	return outFailed
}

// step0 notes a step reached without reading its entries.
func (w *walker) step0(n *node, st *StepStatus) {
	if !w.hidden {
		w.f.byID[n.info.ID] = st
	}
}

// step reads the entries of one step, the next command being its own (or
// one of the steps inside it), and when it started and ended.
func (w *walker) step(n *node, st *StepStatus) outcome {
	from := w.pos
	o := w.entries(n, st)
	w.timed(st, w.j.cmds[from:w.pos], o)
	return o
}

// timed sets when the step started, its first command's time, and once
// it has finished, when it ended: the time of the last result of its
// commands (those of the steps inside it in the same journal included),
// or of the callback that completed it.
func (w *walker) timed(st *StepStatus, cmds []command, o outcome) {
	if len(cmds) == 0 || cmds[0].at.IsZero() {
		return
	}
	start := cmds[0].at
	st.StartedAt = &start
	if o == outOpen {
		st.EndedAt = nil
		return
	}
	var end time.Time
	if st.EndedAt != nil {
		end = *st.EndedAt
	}
	for _, c := range cmds {
		if res, ok := w.j.result(c.completion); ok && res.at.After(end) {
			end = res.at
		}
	}
	if !end.IsZero() {
		st.EndedAt = &end
	}
}

// entries reads the entries of one step.
func (w *walker) entries(n *node, st *StepStatus) outcome {
	w.step0(n, st)
	st.State = Running
	timeout := -1
	if c, ok := w.peek(); ok && c.kind == cmdSleep && c.entry.Kind == journalname.Timeout && c.entry.Step == n.info.ID {
		w.pos++
		at := c.wakeUp
		st.Deadline = &at
		w.deadlines = append(w.deadlines, deadline{id: n.info.ID, completion: c.completion})
		timeout = len(w.deadlines) - 1
	}
	var o outcome
	switch s := n.step.(type) {
	case *dsl.ActivityStep:
		o = w.activity(n, s, st)
	case *dsl.SleepStep:
		o = w.sleep(n, s, st)
	case *dsl.AwaitStep:
		o = w.await(n, st)
	case *dsl.SwitchStep:
		o = w.switchStep(n, st)
	case *dsl.ParallelStep:
		o = w.parallel(n, st)
	case *dsl.ForeachStep:
		o = w.foreach(n, st)
	case *dsl.WorkflowStep:
		o = w.child(n, s, st)
	default:
		// Set, fail and return steps journal nothing of their own.
		st.State = Done
	}
	if timeout >= 0 {
		fired := w.fired(w.deadlines[timeout])
		w.deadlines = w.deadlines[:timeout]
		if fired && o != outDone {
			st.WaitingFor = ""
			if a, ok := n.step.(*dsl.AwaitStep); ok && a.OnTimeout != nil {
				st.State, st.Error, o = Done, "", outDone
			} else {
				st.State, st.Error, o = Failed, fmt.Sprintf("%s: timed out after %s", dsl.CodeTimeout, n.info.Timeout), outFailed
			}
		}
	}
	if o == outFailed && len(n.handlers) > 0 {
		if c, ok := w.peek(); ok {
			for _, h := range n.handlers {
				if w.f.plan.within(w.attribute(c, h, 0), n) == h {
					st.State = Caught
					st.Handler = make([]StepStatus, len(h.nodes))
					o = w.list(h, st.Handler)
					break
				}
			}
		}
	}
	return o
}

// fired reports whether a timeout's timer went off.
func (w *walker) fired(d deadline) bool {
	_, ok := w.j.result(d.completion)
	return ok
}

// next returns the next command if it is of the kind and belongs to id.
func (w *walker) next(kind cmdKind, id string) (*command, bool) {
	c, ok := w.peek()
	if !ok || c.kind != kind {
		return nil, false
	}
	switch kind {
	case cmdRun, cmdSleep:
		// An activity's Run or a sleep's timer: named by the step id.
		e := c.entry
		return c, (e.Kind == journalname.Activity || e.Kind == journalname.Sleep) && e.Step == id
	case cmdDedup, cmdBlock:
		return c, c.step == id
	}
	return c, w.attribute(c, nil, 0) == id
}

// inProgress leaves a step in progress, unless the invocation stopped it:
// a timeout around it went off, it was cancelled, or it finished.
func (w *walker) inProgress(st *StepStatus, state State, waitingFor string) outcome {
	for _, d := range w.deadlines {
		if w.fired(d) {
			st.State, st.Error = Failed, "timed out"
			return outFailed
		}
	}
	switch {
	case w.j.cancelled():
		st.State = Cancelled
		return outFailed
	case w.inv.finished:
		st.State = Failed
		if w.inv.failure != nil {
			st.Error = w.inv.failure.message
		}
		return outFailed
	}
	st.State, st.WaitingFor = state, waitingFor
	if state == Running && w.inv.lastFailure != "" {
		st.State, st.Attempts, st.Error = Retrying, w.inv.attempts, w.inv.lastFailure
	}
	if waitingFor != childInvocations {
		w.f.leaves = append(w.f.leaves, leaf{state: st.State, waitingFor: waitingFor, err: st.Error})
	}
	return outOpen
}

// childInvocations is what a parallel or foreach step waits for.
const childInvocations = "child invocations"

// failed marks a step failed with res's message, or the invocation's.
func (w *walker) failed(st *StepStatus, res result) outcome {
	st.State, st.Error = Failed, res.message
	if st.Error == "" && w.inv.failure != nil {
		st.Error = w.inv.failure.message
	}
	return outFailed
}

func (w *walker) activity(n *node, s *dsl.ActivityStep, st *StepStatus) outcome {
	kind := cmdRun
	if s.Dedup != nil && !s.Callback {
		kind = cmdDedup
	}
	c, ok := w.next(kind, n.info.ID)
	if !ok {
		return w.inProgress(st, Running, "")
	}
	w.pos++
	signal := 0
	if s.Callback {
		signal = firstAwakeable + w.awakeables
		w.awakeables++
		st.CallbackID = awakeableID(w.inv.id, uint32(signal))
	}
	res, ok := w.j.result(c.completion)
	switch {
	case !ok:
		return w.inProgress(st, Running, "")
	case res.failed:
		return w.failed(st, res)
	}
	if s.Callback {
		res, ok := w.j.signals[signal]
		if ok && !res.at.IsZero() {
			st.EndedAt = &res.at
		}
		switch {
		case !ok:
			return w.inProgress(st, Waiting, "callback "+st.CallbackID)
		case res.failed:
			return w.failed(st, res)
		}
	}
	st.State = Done
	return outDone
}

func (w *walker) sleep(n *node, s *dsl.SleepStep, st *StepStatus) outcome {
	now := false
	if c, ok := w.peek(); ok && c.kind == cmdRun && c.entry.Kind == journalname.Clock {
		w.pos++
		if _, ok := w.j.result(c.completion); !ok {
			return w.inProgress(st, Running, "")
		}
		now = true
	}
	c, ok := w.next(cmdSleep, n.info.ID)
	if !ok {
		_, more := w.peek()
		if now && (more || w.inv.finished) {
			st.State = Done // the time had passed: no timer
			return outDone
		}
		return w.inProgress(st, Running, "")
	}
	w.pos++
	until := c.wakeUp
	st.Until = &until
	if _, ok := w.j.result(c.completion); ok {
		st.State = Done
		return outDone
	}
	return w.inProgress(st, Waiting, "sleep until "+until.Format(time.RFC3339))
}

func (w *walker) await(n *node, st *StepStatus) outcome {
	c, ok := w.next(cmdAwait, n.info.ID)
	signal := n.step.(*dsl.AwaitStep).Signal
	if !ok {
		return w.inProgress(st, Waiting, "signal "+signal)
	}
	w.pos++
	res, ok := w.j.result(c.completion)
	switch {
	case !ok:
		return w.inProgress(st, Waiting, "signal "+signal)
	case res.failed:
		return w.failed(st, res)
	}
	st.State = Done
	return outDone
}

func (w *walker) child(n *node, s *dsl.WorkflowStep, st *StepStatus) outcome {
	c, ok := w.next(cmdChild, n.info.ID)
	if !ok {
		return w.inProgress(st, Running, "")
	}
	w.pos++
	st.ChildRun = c.key
	if !s.Wait {
		st.State = Done
		return outDone
	}
	res, ok := w.j.result(c.completion)
	switch {
	case !ok:
		return w.inProgress(st, Waiting, "child run "+c.key)
	case res.failed:
		return w.failed(st, res)
	}
	st.State = Done
	return outDone
}

func (w *walker) switchStep(n *node, st *StepStatus) outcome {
	c, ok := w.peek()
	if !ok {
		if w.inv.finished && w.inv.failure == nil {
			st.State = Done // its case journaled nothing
			return outDone
		}
		return w.inProgress(st, Running, "")
	}
	for _, h := range n.cases {
		if w.f.plan.within(w.attribute(c, h, 0), n) != h {
			continue
		}
		st.Case = h.label
		st.Steps = make([]StepStatus, len(h.nodes))
		o := w.list(h, st.Steps)
		st.State = Done
		switch o {
		case outFailed:
			st.State = Failed
			for _, s := range st.Steps {
				if s.State == Failed || s.State == Cancelled {
					st.Error = s.Error
				}
			}
		case outOpen:
			st.State = Running
			for _, s := range st.Steps {
				if s.State == Waiting || s.State == Retrying {
					st.State = s.State
				}
			}
		}
		return o
	}
	// No case has entries: the one that ran journaled nothing, unless the
	// next entry is the switch's own catch handler's.
	if w.f.plan.within(w.attribute(c, n.list, n.index), n) == nil {
		st.State = Done
		return outDone
	}
	return w.inProgress(st, Running, "")
}

// blocks reads the calls of a parallel or foreach step: the next block
// calls that belong to it, as accept says.
func (w *walker) blocks(id string, accept func(c *command) bool) []*command {
	var calls []*command
	for {
		c, ok := w.next(cmdBlock, id)
		if !ok || !accept(c) {
			return calls
		}
		w.pos++
		calls = append(calls, c)
	}
}

func (w *walker) parallel(n *node, st *StepStatus) outcome {
	seen := map[string]bool{}
	calls := w.blocks(n.info.ID, func(c *command) bool {
		fresh := !seen[c.branch]
		seen[c.branch] = true
		return fresh
	})
	if len(calls) == 0 {
		return w.inProgress(st, Running, "")
	}
	st.Branches = make([]BranchStatus, len(n.branches))
	for b, l := range n.branches {
		st.Branches[b] = BranchStatus{Name: l.label, State: Pending, Steps: make([]StepStatus, len(l.nodes))}
		for k, c := range l.nodes {
			describe(c, &st.Branches[b].Steps[k])
		}
	}
	finished, failed := 0, ""
	for _, c := range calls {
		b := branchIndex(n, c.branch)
		if b < 0 {
			continue
		}
		branch, list := &st.Branches[b], n.branches[b]
		branch.InvocationID, branch.State = c.child, Running
		res, done := w.j.result(c.completion)
		var failure *result
		if done {
			finished++
			if res.block != nil && res.block.failure != nil {
				failure = res.block.failure
				if failed == "" && !res.block.cancelled {
					failed = failure.message
				}
			}
		}
		hidden := w.hidden
		w.f.jobs = append(w.f.jobs, &job{id: c.child, finished: done, failure: failure, walk: func(inv *invocation) {
			cw := w.f.walker(inv, list, hidden)
			o := cw.list(list, branch.Steps)
			branch.State = branchState(o, inv, failure, branch.Steps)
			if branch.State == Failed && failure != nil {
				branch.Error = failure.message
			}
		}})
	}
	switch {
	case finished < len(calls):
		return w.inProgress(st, Waiting, childInvocations)
	case failed != "":
		st.State, st.Error = Failed, failed
		return outFailed
	}
	st.State = Done
	return outDone
}

func branchIndex(n *node, name string) int {
	for b, l := range n.branches {
		if l.label == name {
			return b
		}
	}
	return -1
}

// branchState is a branch's state from how its steps stand.
func branchState(o outcome, inv *invocation, failure *result, steps []StepStatus) State {
	switch {
	case o == outOpen:
		for _, s := range steps {
			if s.State == Waiting || s.State == Retrying {
				return s.State
			}
		}
		return Running
	case failure != nil && failure.step == "" && inv.journal.cancelled():
		return Cancelled
	case o == outFailed || failure != nil:
		for _, s := range steps {
			if s.State == Cancelled {
				return Cancelled
			}
		}
		return Failed
	}
	return Done
}

func (w *walker) foreach(n *node, st *StepStatus) outcome {
	next := 0
	calls := w.blocks(n.info.ID, func(c *command) bool {
		if c.first != next {
			return false
		}
		next += c.count
		return true
	})
	if len(calls) == 0 {
		return w.inProgress(st, Running, "")
	}
	t := &tally{st: st, counts: ItemCounts{Total: next}}
	if !w.hidden {
		w.f.tallies = append(w.f.tallies, t)
	}
	o := w.groups(n, calls, t, w.hidden)
	switch o {
	case outOpen:
		return w.inProgress(st, Waiting, childInvocations)
	case outFailed:
		st.State = Failed
		if t.cancelled {
			st.State = Cancelled
		}
		if len(t.counts.Failures) > 0 {
			st.Error = fmt.Sprintf("item %d: %s", t.counts.Failures[0].Index, t.counts.Failures[0].Error)
		}
		return outFailed
	}
	st.State = Done
	return outDone
}

// groups counts the items of a foreach step's block calls: a finished
// block's result says how many of its items completed and which failed; a
// block still running is walked item by item when its journal is read.
func (w *walker) groups(n *node, calls []*command, t *tally, hidden bool) outcome {
	open, failed, cancelled := false, false, false
	for _, c := range calls {
		res, done := w.j.result(c.completion)
		if !done {
			open = true
			first, count := c.first, c.count
			w.f.jobs = append(w.f.jobs, &job{id: c.child, walk: func(inv *invocation) {
				cw := w.f.walker(inv, n.body, true)
				cw.items(n, first, count, t, hidden)
			}})
			continue
		}
		switch b := res.block; {
		case b == nil:
			t.counts.Done += c.count // a result status cannot read
		case b.failure != nil && !b.cancelled:
			t.counts.Done += b.outputs
			t.counts.Failed++
			t.counts.Failures = append(t.counts.Failures, ItemError{Index: c.first + b.outputs, Error: b.failure.message})
			failed = true
		default:
			t.counts.Done += b.outputs
			cancelled = cancelled || b.cancelled
		}
	}
	switch {
	case open:
		return outOpen
	case failed:
		return outFailed
	case cancelled:
		t.cancelled = true
		return outFailed
	}
	return outDone
}

// items walks a running block's foreach items one after the other, or the
// blocks it splits them into.
func (w *walker) items(n *node, first, count int, t *tally, hidden bool) {
	if c, ok := w.peek(); ok && c.kind == cmdBlock && c.step == n.info.ID {
		next := first
		calls := w.blocks(n.info.ID, func(c *command) bool {
			if c.first != next {
				return false
			}
			next += c.count
			return true
		})
		w.groups(n, calls, t, hidden)
		return
	}
	steps := make([]StepStatus, len(n.body.nodes))
	for k := range count {
		switch w.list(n.body, steps) {
		case outOpen:
			t.counts.Running++
			return
		case outFailed:
			msg := ""
			for _, s := range steps {
				switch s.State {
				case Cancelled:
					t.cancelled = true
					return // stopped, not failed
				case Failed, Caught:
					msg = s.Error
				}
			}
			t.counts.Failed++
			t.counts.Failures = append(t.counts.Failures, ItemError{Index: first + k, Error: msg})
			return
		}
		t.counts.Done++
		if _, more := w.peek(); !more && !w.inv.finished {
			if k < count-1 {
				t.counts.Running++ // the next item has not journaled anything yet
			}
			return
		}
	}
}

// compensations reads the compensations the run journaled after a
// failure: Runs named after the step and the foreach indexes around it
// (journalname.CompensationRun).
func (f *fetch) compensations(w *walker) {
	for k := range w.j.cmds {
		c := &w.j.cmds[k]
		if c.kind != cmdRun || c.entry.Kind != journalname.Compensation {
			continue
		}
		id := c.entry.Step
		n := f.plan.nodes[id]
		if n == nil {
			continue
		}
		res, done := w.j.result(c.completion)
		state, msg := Compensated, ""
		switch {
		case done && res.failed:
			state, msg = CompensationFailed, res.message
		case !done && w.inv.finished:
			state = CompensationFailed
		case !done:
			state = Compensating
			f.compensating = true
			lf := leaf{state: Running}
			if w.inv.lastFailure != "" {
				lf = leaf{state: Retrying, err: w.inv.lastFailure}
			}
			f.leaves = append(f.leaves, lf)
		}
		outer := f.plan.outerForeach(n)
		if outer == nil {
			if st := f.byID[id]; st != nil {
				st.State, st.CompensationError = state, msg
			}
			continue
		}
		if len(c.entry.Indexes) == 0 {
			continue
		}
		index := c.entry.Indexes[0] // the outer foreach's item
		for _, t := range f.tallies {
			if t.st != f.byID[outer.info.ID] {
				continue
			}
			if t.compOK == nil {
				t.compOK, t.compErr = map[int]bool{}, map[int]bool{}
			}
			switch state {
			case Compensating:
				t.compensating = true
				t.compOK[index] = true
			case Compensated:
				t.compOK[index] = true
			case CompensationFailed:
				if !t.compErr[index] && msg != "" {
					t.st.CompensationError = joinErrors(t.st.CompensationError, fmt.Sprintf("item %d: %s", index, msg))
				}
				t.compErr[index] = true
			}
		}
	}
}

func joinErrors(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// finish fills in what needs every invocation read: the foreach counts,
// and the run's state and what it waits for.
func (f *fetch) finish() {
	for _, t := range f.tallies {
		c := t.counts
		for index := range t.compErr {
			delete(t.compOK, index)
		}
		c.Compensated, c.CompensationFailed = len(t.compOK), len(t.compErr)
		t.st.Items = &c
		switch {
		case c.CompensationFailed > 0:
			t.st.State = CompensationFailed
		case c.Compensated > 0 && t.compensating:
			t.st.State = Compensating
		case c.Compensated > 0:
			t.st.State = Compensated
		}
		if t.st.State == Failed && t.st.Error == "" && len(c.Failures) > 0 {
			t.st.Error = fmt.Sprintf("item %d: %s", c.Failures[0].Index, c.Failures[0].Error)
		}
	}
	run := f.run
	var waits []string
	seen := map[string]bool{}
	running, retrying := false, ""
	for _, l := range f.leaves {
		switch {
		case l.state == Retrying:
			if retrying == "" {
				retrying = l.err
			}
		case l.waitingFor != "":
			if !seen[l.waitingFor] {
				seen[l.waitingFor] = true
				waits = append(waits, l.waitingFor)
			}
		default:
			running = true
		}
	}
	if run.Finished() {
		return
	}
	run.WaitingFor = summarize(waits)
	switch {
	case f.compensating:
		run.State = Compensating
	case run.State == Retrying:
	case retrying != "":
		run.State, run.Error = Retrying, retrying
	case running || len(waits) == 0:
		run.State = Running
	default:
		run.State = Waiting
	}
}

// maxWaits is how many waits Run.WaitingFor names before it counts the
// rest.
const maxWaits = 5

func summarize(waits []string) string {
	if len(waits) > maxWaits {
		return strings.Join(waits[:maxWaits], ", ") + fmt.Sprintf(" and %d more", len(waits)-maxWaits)
	}
	return strings.Join(waits, ", ")
}

// describe fills in what a step is, before anything is known of it.
func describe(n *node, st *StepStatus) {
	st.ID, st.Kind, st.State = n.info.ID, kind(n.step), Pending
	if a, ok := n.step.(*dsl.ActivityStep); ok {
		st.Activity = a.Activity
	}
}
