package runstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/interpreter"
)

// State is where a step or a run is.
type State string

const (
	Pending  State = "pending"  // not reached yet
	Running  State = "running"  // started, no result journaled yet
	Retrying State = "retrying" // its last attempt failed; Restate retries
	Done     State = "done"     // finished with a result
	Failed   State = "failed"   // finished with a terminal error
	Skipped  State = "skipped"  // passed over: its when guard was false
	// Waiting: durably waiting for something outside the step's own
	// work, which WaitingFor names: a signal, a callback, a timer, or the
	// child invocations of a parallel or foreach step.
	Waiting State = "waiting"
	// Caught: the step failed and one of its catch handlers took the
	// error; the handler's steps say how that went.
	Caught State = "caught"
	// Cancelled: the step was stopped before it finished, because the run
	// was cancelled or, in a parallel branch or a foreach, because another
	// branch or item failed.
	Cancelled State = "cancelled"
	// Compensating: a run undoing its completed steps after a failure, or
	// a step whose compensation is running.
	Compensating State = "compensating"
	// Compensated: a step that completed and was undone by its
	// compensation after the run failed.
	Compensated State = "compensated"
	// CompensationFailed: a step whose compensation failed for good; its
	// CompensationError says why.
	CompensationFailed State = "compensation failed"
)

// Run is the status of one run.
type Run struct {
	WorkflowID   string `json:"workflowId"`
	InvocationID string `json:"invocationId"`
	// Definition and Version name what the run interprets; empty once the
	// journal is gone.
	Definition string `json:"definition,omitempty"`
	Version    string `json:"version,omitempty"`
	// State is Running, Waiting, Retrying, Compensating, Done or Failed.
	State State `json:"state"`
	// WaitingFor lists what the run's waiting steps wait for ("signal
	// approve", "callback sign_1…", "sleep until …"), at any depth. The
	// run is Waiting when nothing else is in progress.
	WaitingFor string `json:"waitingFor,omitempty"`
	// RestateStatus is Restate's own word for the invocation (running,
	// suspended, backing-off, completed, ...).
	RestateStatus string `json:"restateStatus"`
	// Error is the run's terminal failure, or the last transient failure
	// while Retrying.
	Error     string       `json:"error,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt"`
	Steps     []StepStatus `json:"steps,omitempty"`
	// JournalGone is true when Restate no longer keeps the run's journal,
	// so Steps is empty.
	JournalGone bool `json:"journalGone,omitempty"`
	// RedriveOf is the failed run this run redrives; RedrivenAs the run
	// that redrives this one.
	RedriveOf  string `json:"redriveOf,omitempty"`
	RedrivenAs string `json:"redrivenAs,omitempty"`
	// Schedule is the schedule whose fire (or trigger, or backfill)
	// started the run, as Restate records who invoked it.
	Schedule string `json:"schedule,omitempty"`
}

// StepStatus is the status of one step of a run. Steps that hold others
// hold their statuses: a switch the steps of the case that ran, a parallel
// step its branches, a step whose error a catch handler took the
// handler's steps. A foreach step counts its items instead.
type StepStatus struct {
	ID string `json:"id"`
	// Kind is the step's kind (set, switch, parallel, foreach, sleep,
	// await, fail, return, workflow); empty for an activity step, whose
	// Activity says what it calls.
	Kind     string `json:"kind,omitempty"`
	Activity string `json:"activity,omitempty"`
	State    State  `json:"state"`
	// Attempts counts failed attempts of a step Restate is retrying.
	Attempts int    `json:"attempts,omitempty"`
	Error    string `json:"error,omitempty"`
	// WaitingFor says what a Waiting step waits for: "signal NAME",
	// "callback ID", "sleep until TIME", "child run ID" or "child
	// invocations".
	WaitingFor string `json:"waitingFor,omitempty"`
	// CallbackID is the callback a callback step waits for (or waited
	// for), to complete with `reaflow resolve` or `reaflow reject`.
	CallbackID string `json:"callbackId,omitempty"`
	// Until is when a sleep step wakes up.
	Until *time.Time `json:"until,omitempty"`
	// Deadline is when the step's timeout expires.
	Deadline *time.Time `json:"deadline,omitempty"`
	// StartedAt is when the step's first journal entry was written (an
	// activity's Run, a timer, a call); EndedAt when the result that
	// finished it was. Steps that journal nothing (set, fail, return, a
	// step skipped or reused) have neither; a step in progress has no
	// EndedAt. They are not in the JSON form (status --json) yet, whose
	// shape the CLI's golden tests pin.
	StartedAt *time.Time `json:"-"`
	EndedAt   *time.Time `json:"-"`
	// ChildRun is the workflow id of a workflow step's child run.
	ChildRun string `json:"childRun,omitempty"`
	// Reused is true for a step of a redrive that did not run: its output
	// is the one the redriven run's step returned.
	Reused bool `json:"reused,omitempty"`
	// CompensationError is why the step's compensation failed.
	CompensationError string `json:"compensationError,omitempty"`
	// Case names the switch case that ran: "case 1" (counting from 1) or
	// "default"; Steps are its steps.
	Case  string       `json:"case,omitempty"`
	Steps []StepStatus `json:"steps,omitempty"`
	// Branches are a parallel step's branches, in the definition's order.
	Branches []BranchStatus `json:"branches,omitempty"`
	// Items counts a foreach step's items.
	Items *ItemCounts `json:"items,omitempty"`
	// Handler holds the steps of the catch handler that took the step's
	// error.
	Handler []StepStatus `json:"handler,omitempty"`
}

// BranchStatus is one branch of a parallel step, run by a child
// invocation of its own.
type BranchStatus struct {
	Name         string       `json:"name"`
	State        State        `json:"state"`
	InvocationID string       `json:"invocationId,omitempty"`
	Error        string       `json:"error,omitempty"`
	Steps        []StepStatus `json:"steps,omitempty"`
}

// ItemCounts sums up a foreach step's items. Items that are neither done,
// running nor failed are pending (or, once the step has ended, were not
// run).
type ItemCounts struct {
	Total   int `json:"total"`
	Done    int `json:"done"`
	Running int `json:"running"`
	Failed  int `json:"failed"`
	// Compensated and CompensationFailed count the items whose steps
	// were undone after the run failed, and those where that failed.
	Compensated        int `json:"compensated,omitempty"`
	CompensationFailed int `json:"compensationFailed,omitempty"`
	// Failures are the failed items, by index (from 0).
	Failures []ItemError `json:"failures,omitempty"`
}

// ItemError is the failure of one foreach item, or of its compensation.
type ItemError struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

// Pending is the number of items neither done, running nor failed.
func (c *ItemCounts) Pending() int { return max(0, c.Total-c.Done-c.Running-c.Failed) }

// Finished reports whether the run has ended, either way.
func (r *Run) Finished() bool { return r.State == Done || r.State == Failed }

// Querier runs SQL against Restate's introspection tables.
type Querier interface {
	Query(ctx context.Context, sql string) ([]map[string]any, error)
}

// ErrNotFound means Restate knows no run with the id (yet, or any more).
var ErrNotFound = errors.New("no such run")

// Fetch returns the status of the run with the given workflow id.
func Fetch(ctx context.Context, q Querier, workflowID string) (*Run, error) {
	return NewReader(q).Fetch(ctx, workflowID)
}

// Reader reads the status of runs. It keeps what it has read of each run
// so that following a run (status --watch, submit --wait) does not repeat
// the work: the definition, compiled once, and each invocation's journal,
// whose entries are decoded once (a finished child invocation's journal is
// not read again at all). A Reader is for one goroutine.
type Reader struct {
	q Querier
	// programs holds each run's compiled definition by invocation id; nil
	// for a run whose definition the server refused.
	programs map[string]*plan
	// compiled holds the compiled definitions by their file name and
	// text, so that the many runs of one definition a listing reads
	// compile it once.
	compiled map[string]*plan
	// journals holds what has been read of each invocation's journal.
	journals map[string]*journal
	// redriveOf holds, by invocation id, the run a run redrives; reused
	// the paths of the steps whose outputs it reuses.
	redriveOf map[string]string
	reused    map[string]map[string]bool
}

// NewReader returns a Reader that queries q.
func NewReader(q Querier) *Reader {
	return &Reader{q: q, programs: map[string]*plan{}, compiled: map[string]*plan{}, journals: map[string]*journal{},
		redriveOf: map[string]string{}, reused: map[string]map[string]bool{}}
}

var reaflowServices = services{workflow: interpreter.WorkflowService, block: interpreter.BlockService, dedup: interpreter.DedupService, lineage: interpreter.LineageService}

// invocationColumns are the columns of a run's invocation that status
// reads.
const invocationColumns = `id, target_service_key, status, completion_result, completion_failure, last_failure,
	retry_count, last_failure_related_command_name, created_at, modified_at, invoked_by_service_name, invoked_by_target`

// Fetch returns the status of the run with the given workflow id. It reads
// the run's invocation and journal, then the journals of the child
// invocations its parallel and foreach steps started, one level of
// children at a time.
func (rd *Reader) Fetch(ctx context.Context, workflowID string) (*Run, error) {
	return rd.fetch(ctx, workflowID, fmt.Sprintf("target_service_name = '%s' AND target_service_key = %s AND target_handler_name = 'Run'",
		interpreter.WorkflowService, quote(workflowID)))
}

// FetchInvocation is Fetch for a run whose invocation id is known:
// Restate finds an invocation by its id without scanning the others.
func (rd *Reader) FetchInvocation(ctx context.Context, workflowID, invocationID string) (*Run, error) {
	return rd.fetch(ctx, workflowID, "id = "+quote(invocationID))
}

func (rd *Reader) fetch(ctx context.Context, workflowID, where string) (*Run, error) {
	rows, err := rd.q.Query(ctx, `SELECT `+invocationColumns+` FROM sys_invocation WHERE `+where)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w %q", ErrNotFound, workflowID)
	}
	runs, err := rd.read(ctx, rows[:1])
	if err != nil {
		return nil, fmt.Errorf("run %q: %w", workflowID, err)
	}
	return runs[0], nil
}

// FetchListed returns the status of the runs ListRuns found, in its
// order, as Fetch does for one, in a number of queries that does not grow
// with the runs (up to maxIDsPerQuery of them): ListRuns read their
// invocations already; one query reads their journals, one the lineage of
// the failed ones, and one each level of the child invocations their
// parallel and foreach steps started.
func (rd *Reader) FetchListed(ctx context.Context, listed []Listed) ([]*Run, error) {
	rows := make([]map[string]any, len(listed))
	for i, l := range listed {
		rows[i] = l.invocation
	}
	return rd.read(ctx, rows)
}

// read returns the status of the runs whose invocation rows (of
// invocationColumns) are given.
func (rd *Reader) read(ctx context.Context, rows []map[string]any) ([]*Run, error) {
	runs := make([]*Run, len(rows))
	invs := make([]*invocation, len(rows))
	ids := make([]string, len(rows))
	var failed []string
	for i, row := range rows {
		runs[i], invs[i] = runOf(row)
		ids[i] = runs[i].InvocationID
		if runs[i].State == Failed {
			// Only a failed run can be redriven.
			failed = append(failed, runs[i].WorkflowID)
		}
	}
	if err := rd.readRunJournals(ctx, ids); err != nil {
		return nil, err
	}
	redriven, err := redrivenAs(ctx, rd.q, failed)
	if err != nil {
		return nil, err
	}
	var fetches []*fetch
	for i, run := range runs {
		run.RedrivenAs = redriven[run.WorkflowID]
		if f := rd.walk(run, invs[i]); f != nil {
			fetches = append(fetches, f)
		}
	}
	for {
		var jobs []*job
		for _, f := range fetches {
			jobs = append(jobs, f.jobs...)
			f.jobs = nil
		}
		if len(jobs) == 0 {
			break
		}
		if err := rd.readChildren(ctx, jobs); err != nil {
			return nil, err
		}
	}
	for _, f := range fetches {
		f.finish()
	}
	return runs, nil
}

// runOf is the run an invocation row describes, before its journal is
// read.
func runOf(row map[string]any) (*Run, *invocation) {
	run := &Run{
		WorkflowID:    str(row["target_service_key"]),
		InvocationID:  str(row["id"]),
		RestateStatus: str(row["status"]),
		CreatedAt:     timestamp(row["created_at"]),
		UpdatedAt:     timestamp(row["modified_at"]),
		Schedule:      firedBy(str(row["invoked_by_service_name"]), str(row["invoked_by_target"])),
	}
	inv := invocationOf(row)
	switch {
	case str(row["completion_result"]) == "success":
		run.State = Done
	case str(row["completion_result"]) == "failure":
		run.State, run.Error = Failed, str(row["completion_failure"])
	case inv.lastFailure != "":
		run.State, run.Error = Retrying, inv.lastFailure
	default:
		run.State = Running
	}
	return run, inv
}

// firedBy is the schedule whose object started an invocation, from
// Restate's record of the invoking target ("SERVICE/KEY/HANDLER"); "" for
// a run started otherwise.
func firedBy(service, target string) string {
	if service != interpreter.ScheduleService {
		return ""
	}
	key := strings.TrimPrefix(target, service+"/")
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		key = key[:i]
	}
	return key
}

// walk reads the run's own journal, read by readRunJournals, and returns
// the fetch that reads the rest; nil when there is nothing to walk.
func (rd *Reader) walk(run *Run, inv *invocation) *fetch {
	j, p := rd.journals[run.InvocationID], rd.programs[run.InvocationID]
	run.RedriveOf = rd.redriveOf[run.InvocationID]
	if j.rows == 0 {
		run.JournalGone = true
		return nil
	}
	if p == nil {
		// A definition the server refused has no steps to show; the run's
		// failure says why.
		return nil
	}
	run.Definition, run.Version = p.prog.Name, p.prog.Version
	inv.journal = j
	if j.output != nil && j.output.failed {
		failure := *j.output
		failure.message = stepError(failure.message)
		inv.failure = &failure
	} else if run.State == Failed {
		inv.failure = &result{failed: true, message: run.Error}
	}
	f := &fetch{rd: rd, plan: p, run: run, byID: map[string]*StepStatus{}}
	f.walkRun(inv)
	return f
}

// stepError is the part of a run's failure that is about the failed
// step: what the run's compensations did is added to the run's error, not
// to the step's.
func stepError(runError string) string {
	for _, tail := range []string{"; compensated: ", "; COMPENSATION FAILED: "} {
		if i := strings.Index(runError, tail); i >= 0 {
			runError = runError[:i]
		}
	}
	return runError
}

// invocation is one invocation of a run, the run's own or a child's, as
// far as status needs it.
type invocation struct {
	id string
	// finished is true once the invocation has its result.
	finished bool
	// failure is how the invocation (or, for a block, the step it stopped
	// at) failed; nil when it has not.
	failure *result
	// lastFailure, attempts and failedCommand describe the failed
	// attempts of an invocation Restate is retrying.
	lastFailure   string
	attempts      int
	failedCommand string
	journal       *journal
}

func invocationOf(row map[string]any) *invocation {
	inv := &invocation{
		id:            str(row["id"]),
		finished:      str(row["completion_result"]) != "",
		attempts:      num(row["retry_count"]),
		failedCommand: str(row["last_failure_related_command_name"]),
	}
	if !inv.finished {
		inv.lastFailure = str(row["last_failure"])
	}
	return inv
}

// readRunJournals reads the journals of the runs' invocations, from the
// first entry not read yet, in one query per maxIDsPerQuery runs; a run's
// definition comes from its input entry the first time.
func (rd *Reader) readRunJournals(ctx context.Context, ids []string) error {
	for batch := range chunks(ids, maxIDsPerQuery) {
		rows, err := rd.q.Query(ctx, rd.journalQuery(batch, true)+"\nORDER BY id, index")
		if err != nil {
			return err
		}
		byID := byInvocation(rows)
		var again []string
		for _, id := range batch {
			rows := byID[id]
			if j := rd.journals[id]; j != nil && len(rows) < j.rows {
				// The journal is not the one read before: start again.
				delete(rd.journals, id)
				again = append(again, id)
				continue
			}
			if _, known := rd.programs[id]; !known {
				for _, row := range rows {
					if str(row["entry_type"]) == "Command: Input" {
						if _, err := rd.program(id, str(row["entry_json"])); err != nil {
							return fmt.Errorf("invocation %s: %w", id, err)
						}
						break
					}
				}
			}
			if err := rd.addJournal(id, rows); err != nil {
				return err
			}
		}
		if len(again) > 0 {
			if err := rd.readRunJournals(ctx, again); err != nil {
				return err
			}
		}
	}
	return nil
}

// journalQuery selects the journal entries of the invocations, with the
// full JSON of the entries status reads (fullEntries) from each
// journal's first entry not parsed yet; with that of the input entry for
// runs whose definition is not compiled yet. Its columns are those of a
// children query (readChildren), the invocation's NULL.
func (rd *Reader) journalQuery(ids []string, runs bool) string {
	cond := make([]string, len(ids))
	for i, id := range ids {
		from := 0
		if j := rd.journals[id]; j != nil {
			from = j.rows
		}
		_, known := rd.programs[id]
		cond[i] = fmt.Sprintf("(id = %s AND %s)", quote(id), fullEntries(from, runs && !known))
	}
	return fmt.Sprintf(`SELECT id, index, entry_type, name, entry_lite_json,
		CASE WHEN %s THEN entry_json END AS entry_json, appended_at,
		NULL AS status, NULL AS completion_result, NULL AS last_failure, NULL AS retry_count, NULL AS last_failure_related_command_name
		FROM sys_journal WHERE id IN (%s)`, strings.Join(cond, " OR "), quoteAll(ids))
}

// byInvocation groups query rows by their invocation id, in order.
func byInvocation(rows []map[string]any) map[string][]map[string]any {
	byID := map[string][]map[string]any{}
	for _, row := range rows {
		id := str(row["id"])
		byID[id] = append(byID[id], row)
	}
	return byID
}

// addJournal parses the rows of the invocation's journal not parsed yet;
// rows are all of its entries, in order. Fewer rows than were parsed
// before mean another journal, parsed anew.
func (rd *Reader) addJournal(id string, rows []map[string]any) error {
	j := rd.journals[id]
	if j == nil || len(rows) < j.rows {
		j = newJournal()
	}
	if err := j.add(rows, reaflowServices); err != nil {
		return fmt.Errorf("invocation %s: %w", id, err)
	}
	rd.journals[id] = j
	return nil
}

// fullEntries is the SQL condition for the journal entries whose full JSON
// status reads: from index from on, calls (their parameters name steps,
// branches and items), call results (a block's result counts its items)
// and failures (with their messages); the input entry too when the
// definition is not compiled yet.
func fullEntries(from int, input bool) string {
	cond := fmt.Sprintf(`(index >= %d AND (entry_type IN ('Command: Call', 'Command: OneWayCall', 'Notification: Call')
		OR entry_lite_json LIKE '%%"result":"Failure"%%'))`, from)
	if input {
		cond = "entry_type = 'Command: Input' OR " + cond
	}
	return "(" + cond + ")"
}

// program returns the compiled definition of the run whose journal input
// entry is entryJSON, from the cache after the first time; nil when the
// server refused the definition.
func (rd *Reader) program(invocationID, entryJSON string) (*plan, error) {
	if p, ok := rd.programs[invocationID]; ok {
		return p, nil
	}
	req, err := requestOf(entryJSON)
	if err != nil {
		return nil, err
	}
	if req.Redrive != nil {
		rd.redriveOf[invocationID] = req.Redrive.Of
		rd.reused[invocationID] = map[string]bool{}
		for path := range req.Redrive.Reuse {
			rd.reused[invocationID][path] = true
		}
	}
	text := req.File + "\x00" + req.Definition
	p, compiled := rd.compiled[text]
	if !compiled {
		if prog, err := dsl.Load(req.File, []byte(req.Definition)); err == nil {
			p = newPlan(prog)
		}
		rd.compiled[text] = p
	}
	rd.programs[invocationID] = p
	return p, nil
}

// maxIDsPerQuery bounds the invocation ids one query names.
const maxIDsPerQuery = 200

// readChildren reads the child invocations the last level's walks found
// (of every run being read), in one query per level (of at most
// maxIDsPerQuery children): the journal entries not read yet of those
// whose journal is not complete, and the invocation rows of those still
// running, which say whether Restate is retrying them. Then it walks
// them; those walks may find more.
func (rd *Reader) readChildren(ctx context.Context, jobs []*job) error {
	var ids []string
	read, running := map[string]bool{}, map[string]bool{}
	for _, job := range jobs {
		if j := rd.journals[job.id]; j == nil || j.output == nil {
			read[job.id] = true
		}
		if !job.finished {
			running[job.id] = true
		}
		if read[job.id] || running[job.id] {
			ids = append(ids, job.id)
		}
	}
	invocations := map[string]map[string]any{}
	for batch := range chunks(ids, maxIDsPerQuery) {
		var journals, invs []string
		for _, id := range batch {
			if read[id] {
				journals = append(journals, id)
			}
			if running[id] {
				invs = append(invs, id)
			}
		}
		var parts []string
		if len(journals) > 0 {
			parts = append(parts, rd.journalQuery(journals, false))
		}
		if len(invs) > 0 {
			parts = append(parts, fmt.Sprintf(`SELECT id, NULL, '%s', NULL, NULL, NULL, NULL,
				status, completion_result, last_failure, retry_count, last_failure_related_command_name
				FROM sys_invocation WHERE id IN (%s)`, invocationRow, quoteAll(invs)))
		}
		rows, err := rd.q.Query(ctx, strings.Join(parts, "\nUNION ALL\n")+"\nORDER BY id, index NULLS FIRST")
		if err != nil {
			return err
		}
		var entries []map[string]any
		for _, row := range rows {
			if str(row["entry_type"]) == invocationRow {
				invocations[str(row["id"])] = row
				continue
			}
			entries = append(entries, row)
		}
		byID := byInvocation(entries)
		for _, id := range journals {
			if err := rd.addJournal(id, byID[id]); err != nil {
				return err
			}
		}
	}
	for _, job := range jobs {
		inv := &invocation{id: job.id, finished: job.finished, failure: job.failure, journal: rd.journals[job.id]}
		if row := invocations[job.id]; row != nil {
			live := invocationOf(row)
			inv.lastFailure, inv.attempts, inv.failedCommand = live.lastFailure, live.attempts, live.failedCommand
			inv.finished = inv.finished || live.finished
		}
		if inv.journal == nil {
			inv.journal = newJournal()
		}
		job.walk(inv)
	}
	return nil
}

// invocationRow marks the rows of a children query that are invocation
// rows rather than journal entries.
const invocationRow = "invocation"

func chunks(ids []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(ids) > 0 {
			k := min(n, len(ids))
			if !yield(ids[:k]) {
				return
			}
			ids = ids[k:]
		}
	}
}

// quote makes s a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteAll(ss []string) string {
	quoted := make([]string, len(ss))
	for i, s := range ss {
		quoted[i] = quote(s)
	}
	return strings.Join(quoted, ", ")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func timestamp(v any) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, str(v))
	return t
}

// bytesOf turns the journal's JSON byte arrays back into bytes.
func bytesOf(ints []int) []byte {
	b := make([]byte, len(ints))
	for i, v := range ints {
		b[i] = byte(v)
	}
	return b
}
