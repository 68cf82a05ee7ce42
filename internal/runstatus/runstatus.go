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
)

// Run is the status of one run.
type Run struct {
	WorkflowID   string `json:"workflowId"`
	InvocationID string `json:"invocationId"`
	// Definition and Version name what the run interprets; empty once the
	// journal is gone.
	Definition string `json:"definition,omitempty"`
	Version    string `json:"version,omitempty"`
	// State is Running, Retrying, Done or Failed.
	State State `json:"state"`
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
}

// StepStatus is the status of one step of a run.
type StepStatus struct {
	ID       string `json:"id"`
	Activity string `json:"activity,omitempty"`
	State    State  `json:"state"`
	// Attempts counts failed attempts of a step Restate is retrying.
	Attempts int    `json:"attempts,omitempty"`
	Error    string `json:"error,omitempty"`
}

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

// Reader reads the status of runs. It keeps the definition of each run it
// has read, compiled, so that following a run (status --watch, submit
// --wait) compiles the definition once rather than on every poll. A Reader
// is for one goroutine.
type Reader struct {
	q Querier
	// programs holds each run's compiled definition by invocation id; nil
	// for a run whose definition the server refused.
	programs map[string]*dsl.Program
}

// NewReader returns a Reader that queries q.
func NewReader(q Querier) *Reader {
	return &Reader{q: q, programs: map[string]*dsl.Program{}}
}

// Fetch returns the status of the run with the given workflow id.
func (rd *Reader) Fetch(ctx context.Context, workflowID string) (*Run, error) {
	q := rd.q
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT id, status, completion_result, completion_failure, last_failure,
		retry_count, created_at, modified_at
		FROM sys_invocation
		WHERE target_service_name = '%s' AND target_service_key = %s AND target_handler_name = 'Run'`,
		interpreter.WorkflowService, quote(workflowID)))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w %q", ErrNotFound, workflowID)
	}
	inv := rows[0]
	run := &Run{
		WorkflowID:    workflowID,
		InvocationID:  str(inv["id"]),
		RestateStatus: str(inv["status"]),
		CreatedAt:     timestamp(inv["created_at"]),
		UpdatedAt:     timestamp(inv["modified_at"]),
	}
	switch {
	case str(inv["completion_result"]) == "success":
		run.State = Done
	case str(inv["completion_result"]) == "failure":
		run.State, run.Error = Failed, str(inv["completion_failure"])
	case str(inv["last_failure"]) != "":
		run.State, run.Error = Retrying, str(inv["last_failure"])
	default:
		run.State = Running
	}

	entries, err := q.Query(ctx, fmt.Sprintf(`SELECT index, entry_type, name, entry_lite_json,
		CASE WHEN entry_type IN ('Command: Input', 'Command: Call') THEN entry_json END AS entry_json
		FROM sys_journal WHERE id = %s ORDER BY index`, quote(run.InvocationID)))
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		run.JournalGone = true
		return run, nil
	}
	if err := run.readJournal(entries, num(inv["retry_count"]), rd.program); err != nil {
		return nil, fmt.Errorf("run %q: %w", workflowID, err)
	}
	return run, nil
}

// journalEntry is the part of a journal row's JSON that status reads.
type journalEntry struct {
	Command struct {
		Input *struct {
			Payload []int `json:"payload"`
		} `json:"Input"`
		Run *struct {
			CompletionID int `json:"completion_id"`
		} `json:"Run"`
		Call *struct {
			Request *struct {
				Parameter []int `json:"parameter"`
			} `json:"request"`
			ResultCompletionID int `json:"result_completion_id"`
		} `json:"Call"`
	} `json:"Command"`
	Notification struct {
		ID struct {
			CompletionID int `json:"CompletionId"`
		} `json:"id"`
		Result string `json:"result"`
	} `json:"Notification"`
}

// program returns the compiled definition of the run whose journal input
// entry is entryJSON, from the cache after the first time; nil when the
// server refused the definition.
func (rd *Reader) program(invocationID, entryJSON string) (*dsl.Program, error) {
	if prog, ok := rd.programs[invocationID]; ok {
		return prog, nil
	}
	var full journalEntry
	if err := json.Unmarshal([]byte(entryJSON), &full); err != nil || full.Command.Input == nil {
		return nil, fmt.Errorf("journal input entry: %v", err)
	}
	var req interpreter.RunRequest
	if err := json.Unmarshal(bytesOf(full.Command.Input.Payload), &req); err != nil {
		return nil, fmt.Errorf("journal input: %w", err)
	}
	// A definition the server refused has no steps to show; the run's
	// failure says why.
	prog, _ := dsl.Load(req.File, []byte(req.Definition))
	rd.programs[invocationID] = prog
	return prog, nil
}

// readJournal fills in the definition and the steps from the journal rows.
// attempts is the invocation's retry count, the failed attempts of the step
// in flight when the run is retrying; program compiles the journaled
// definition.
func (r *Run) readJournal(rows []map[string]any, attempts int, program func(invocationID, entryJSON string) (*dsl.Program, error)) error {
	var (
		prog *dsl.Program
		// index maps a step id to its place in prog.Steps and r.Steps.
		index = map[string]int{}
		// byCompletion maps a completion id to the step waiting for it.
		byCompletion = map[int]*StepStatus{}
		// lastStarted is the index in prog.Steps of the latest step with a
		// journal entry; steps before it without one were skipped.
		lastStarted = -1
	)
	started := func(id string) *StepStatus {
		i, ok := index[id]
		if !ok {
			return nil
		}
		lastStarted = max(lastStarted, i)
		r.Steps[i].State = Running
		return &r.Steps[i]
	}
	for _, row := range rows {
		var lite journalEntry
		if err := json.Unmarshal([]byte(str(row["entry_lite_json"])), &lite); err != nil {
			return fmt.Errorf("journal entry %v: %w", row["index"], err)
		}
		switch entryType := str(row["entry_type"]); {
		case entryType == "Command: Input":
			p, err := program(r.InvocationID, str(row["entry_json"]))
			if err != nil || p == nil {
				return err
			}
			prog = p
			r.Definition, r.Version = p.Name, p.Version
			r.Steps = make([]StepStatus, len(p.Steps))
			for i, step := range p.Steps {
				s := &r.Steps[i]
				s.ID, s.State = step.Info().ID, Pending
				if a, ok := step.(*dsl.ActivityStep); ok {
					s.Activity = a.Activity
				}
				index[s.ID] = i
			}
		case prog == nil:
			// Entries after a refused definition: nothing to map.
		case entryType == "Command: Run" && lite.Command.Run != nil:
			if s := started(str(row["name"])); s != nil {
				byCompletion[lite.Command.Run.CompletionID] = s
			}
		case entryType == "Command: Call":
			var full journalEntry
			if err := json.Unmarshal([]byte(str(row["entry_json"])), &full); err != nil || full.Command.Call == nil || full.Command.Call.Request == nil {
				continue
			}
			var call struct {
				StepID string `json:"stepId"`
			}
			if json.Unmarshal(bytesOf(full.Command.Call.Request.Parameter), &call) != nil {
				continue
			}
			if s := started(call.StepID); s != nil {
				byCompletion[full.Command.Call.ResultCompletionID] = s
			}
		case strings.HasPrefix(entryType, "Notification: "):
			s := byCompletion[lite.Notification.ID.CompletionID]
			switch {
			case s == nil:
			case lite.Notification.Result == "Success":
				s.State = Done
			case lite.Notification.Result == "Failure":
				s.State, s.Error = Failed, r.Error
			}
		}
	}
	if prog == nil {
		return nil
	}
	// Steps run one at a time, so the step without a result is the one
	// whose attempts fail. (Restate 1.7 leaves the failure's entry name
	// empty for a Run that fails before its command is journaled.)
	if r.State == Retrying {
		for i := range r.Steps {
			if s := &r.Steps[i]; s.State == Running {
				s.State, s.Attempts, s.Error = Retrying, attempts, r.Error
			}
		}
	}
	// Steps with no journal entry before the last started one were passed
	// over: activity steps by their when guard, set steps by running in
	// the handler without a journal entry. After a successful run, all of
	// them were.
	last := lastStarted
	if r.State == Done {
		last = len(prog.Steps)
	}
	for i := 0; i < last && i < len(r.Steps); i++ {
		s := &r.Steps[i]
		if s.State != Pending {
			continue
		}
		if _, isSet := prog.Steps[i].(*dsl.SetStep); isSet {
			s.State = Done
		} else {
			s.State = Skipped
		}
	}
	return nil
}

// quote makes s a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

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
