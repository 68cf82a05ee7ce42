// Package journalname is the one place that says how reaflow names what it
// writes into a run's Restate journal. The interpreter writes the names;
// runstatus (and the CLI's status, submit --wait and graph through it)
// reads a run's progress back from them. Both use this package, so the two
// cannot drift apart:
//
//   - a Run is named by its step id for an activity (in the run's journal
//     and in the dedup object's), "compensate <item>" for a compensation,
//     and "now" for the clock read of a sleep step with until;
//   - a timer is named by its step id for a sleep step, "timeout <step>"
//     for a step's timeout, "timeout" for the workflow's, and
//     "cancel grace <step>" for the wait for an activity in flight when
//     the run is cancelled;
//   - a signal travels in the workflow's durable promise "signal.<name>";
//   - a workflow step's child run has the workflow id "<run>.<step>",
//     followed by ".<index>" for each enclosing foreach item;
//   - the parameter of a call to the block service (BlockCall) or to the
//     dedup object (DedupCall) says which step the call is for.
//
// Status also reads journals written by earlier versions of the
// interpreter, so a changed name makes it misplace the entries of every
// run journaled with the old one.
package journalname

import (
	"strconv"
	"strings"
)

// Kind is what a named journal entry does for a run.
type Kind int

const (
	// Unknown is a name reaflow does not write.
	Unknown Kind = iota
	// Activity is the Run of an activity step (and of the dedup object
	// that runs it), named by the step id.
	Activity
	// Compensation is the Run of a step's compensation.
	Compensation
	// Clock is the Run that reads the time for a sleep step with until.
	Clock
	// Sleep is the timer of a sleep step, named by the step id.
	Sleep
	// Timeout is the timer of a step's timeout, or of the workflow's.
	Timeout
	// CancelGrace is the timer that bounds how long a cancelled run waits
	// for the outcome of the activity in flight.
	CancelGrace
)

// Entry is what a Run's or a timer's name says.
type Entry struct {
	Kind Kind
	// Step is the id of the step the entry belongs to; "" for the
	// workflow's timeout and for Clock, whose step is the next one that
	// sleeps until a time.
	Step string
	// Indexes are a compensation's foreach item indexes, outermost first.
	Indexes []int
}

// ClockRun names the Run that reads the time (rea's
// DeterministicHelpers.Now).
const ClockRun = "now"

const (
	compensatePrefix  = "compensate "
	timeoutName       = "timeout"
	cancelGracePrefix = "cancel grace "
	signalPrefix      = "signal."
)

// ActivityRun names the Run of activity step id.
func ActivityRun(id string) string { return id }

// Item names a step inside foreach items: its id followed by each
// enclosing item's index, outermost first ("ship[2][0]"). Compensations
// are named by it, and a run's error lists what it compensated by it.
func Item(id string, indexes ...int) string {
	var b strings.Builder
	b.WriteString(id)
	for _, i := range indexes {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(']')
	}
	return b.String()
}

// CompensationRun names the Run of the compensation of item (see Item).
func CompensationRun(item string) string { return compensatePrefix + item }

// SleepTimer names the timer of sleep step id.
func SleepTimer(id string) string { return id }

// TimeoutTimer names the timer of step id's timeout; id "" is the
// workflow's.
func TimeoutTimer(id string) string {
	if id == "" {
		return timeoutName
	}
	return timeoutName + " " + id
}

// CancelGraceTimer names the timer a cancelled run starts while the Run
// of step id is in flight.
func CancelGraceTimer(id string) string { return cancelGracePrefix + id }

// ParseRun says what the Run named name is.
func ParseRun(name string) Entry {
	switch {
	case name == "":
		return Entry{}
	case name == ClockRun:
		return Entry{Kind: Clock}
	}
	if item, ok := strings.CutPrefix(name, compensatePrefix); ok {
		id, indexes, ok := parseItem(item)
		if !ok {
			return Entry{}
		}
		return Entry{Kind: Compensation, Step: id, Indexes: indexes}
	}
	return Entry{Kind: Activity, Step: name}
}

// ParseTimer says what the timer named name is.
func ParseTimer(name string) Entry {
	switch {
	case name == "":
		return Entry{}
	case name == timeoutName:
		return Entry{Kind: Timeout}
	}
	if id, ok := strings.CutPrefix(name, timeoutName+" "); ok {
		return Entry{Kind: Timeout, Step: id}
	}
	if id, ok := strings.CutPrefix(name, cancelGracePrefix); ok {
		return Entry{Kind: CancelGrace, Step: id}
	}
	return Entry{Kind: Sleep, Step: name}
}

// parseItem reverses Item.
func parseItem(item string) (string, []int, bool) {
	id, rest, nested := strings.Cut(item, "[")
	if id == "" || !nested {
		return id, nil, id != ""
	}
	inner, closed := strings.CutSuffix(rest, "]")
	if !closed {
		return "", nil, false
	}
	var indexes []int
	for _, part := range strings.Split(inner, "][") {
		i, err := strconv.Atoi(part)
		if err != nil {
			return "", nil, false
		}
		indexes = append(indexes, i)
	}
	return id, indexes, true
}

// SignalPromise names the workflow's durable promise that carries signal.
func SignalPromise(signal string) string { return signalPrefix + signal }

// ParseSignalPromise returns the signal the promise named key carries, and
// false for a promise that carries none.
func ParseSignalPromise(key string) (string, bool) {
	signal, ok := strings.CutPrefix(key, signalPrefix)
	return signal, ok && signal != ""
}

// ChildRunID is the workflow id of the child run of workflow step id in
// run runID, inside the foreach items with indexes (outermost first): a
// replay, or a retry of the whole run, addresses the same child, which
// Restate runs once.
func ChildRunID(runID, id string, indexes ...int) string {
	var b strings.Builder
	b.WriteString(runID)
	b.WriteByte('.')
	b.WriteString(id)
	for _, i := range indexes {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// ParseChildRunID returns the step of run runID whose child run has the
// workflow id key, and false when key is not one of runID's children.
func ParseChildRunID(runID, key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, runID+".")
	if !ok {
		return "", false
	}
	// Step ids have no dots, so what follows the step id is the indexes.
	id, indexes, nested := strings.Cut(rest, ".")
	if nested {
		for part := range strings.SplitSeq(indexes, ".") {
			if _, err := strconv.Atoi(part); err != nil {
				return "", false
			}
		}
	}
	return id, id != ""
}

// BlockCall is the part of a block request, the parameter of a call to
// the block service, that says what the call runs: a branch of parallel
// step Step, or some of its foreach items. The element type of Items is
// the reader's: the interpreter decodes the items, status only counts
// them.
type BlockCall[T any] struct {
	Step string `json:"step"`
	// Branch names the parallel branch to run.
	Branch string `json:"branch,omitempty"`
	// Items are the foreach items to run; Items[k] has index First+k, or
	// Indexes[k] when a redrive runs only some of the items.
	First   int   `json:"first,omitempty"`
	Items   []T   `json:"items,omitempty"`
	Indexes []int `json:"indexes,omitempty"`
}

// DedupCall is the part of an activity call, the parameter of a call to
// the dedup object, that names the step it runs for: the object's key is
// the dedup key, which names no step.
type DedupCall struct {
	StepID string `json:"stepId"`
}
