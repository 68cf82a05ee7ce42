package runstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reaflow/reaflow/interpreter"
)

// Invocation is what the admin API says about one invocation: enough for
// the requests that act on a run or a callback to explain themselves.
type Invocation struct {
	ID      string
	Service string
	Key     string
	Handler string
	// Status is Restate's word for it: pending, scheduled, running,
	// backing-off, suspended, paused, completed, ...
	Status string
	// Result is "success" or "failure" once it has completed.
	Result string
}

// Completed reports whether the invocation has ended, either way.
func (inv *Invocation) Completed() bool { return inv.Status == "completed" }

// Outcome is how a completed invocation ended, in reaflow's words: Done
// or Failed.
func (inv *Invocation) Outcome() State {
	if inv.Result == "success" {
		return Done
	}
	return Failed
}

// String names the invocation for a person: "run ID" for a reaflow run.
func (inv *Invocation) String() string {
	if inv.Service == interpreter.WorkflowService && inv.Handler == "Run" {
		return "run " + inv.Key
	}
	target := inv.Service
	if inv.Key != "" {
		target += "/" + inv.Key
	}
	return fmt.Sprintf("invocation %s (%s/%s)", inv.ID, target, inv.Handler)
}

// ErrNoInvocation means the admin API knows no invocation that matches.
var ErrNoInvocation = errors.New("no such invocation")

// LookupRun returns the invocation of the Run handler of the run with
// the given workflow id.
func LookupRun(ctx context.Context, q Querier, workflowID string) (*Invocation, error) {
	return lookup(ctx, q, fmt.Sprintf("target_service_name = %s AND target_service_key = %s AND target_handler_name = 'Run'",
		quote(interpreter.WorkflowService), quote(workflowID)))
}

// LookupInvocation returns the invocation with the given invocation id.
func LookupInvocation(ctx context.Context, q Querier, invocationID string) (*Invocation, error) {
	return lookup(ctx, q, "id = "+quote(invocationID))
}

func lookup(ctx context.Context, q Querier, where string) (*Invocation, error) {
	rows, err := q.Query(ctx, `SELECT id, target_service_name, target_service_key, target_handler_name,
		status, completion_result FROM sys_invocation WHERE `+where)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNoInvocation
	}
	row := rows[0]
	return &Invocation{
		ID: str(row["id"]), Service: str(row["target_service_name"]), Key: str(row["target_service_key"]),
		Handler: str(row["target_handler_name"]), Status: str(row["status"]), Result: str(row["completion_result"]),
	}, nil
}

// Failure is a run's terminal failure as its journal records it, with the
// metadata the interpreter attaches (see interpreter.MetaStep and
// interpreter.MetaCode), which the ingress does not pass on.
type Failure struct {
	// Code is Restate's error code, like an HTTP status: 400 for a
	// refused definition or input, 409 for a cancelled run, 500 for a
	// failed step.
	Code int
	// ErrorCode is the failing activity's or the interpreter's code, such
	// as "card_declined" or "timeout".
	ErrorCode string
	// Step is the id of the step the run failed at.
	Step    string
	Message string
}

// ReadFailure returns how the invocation failed, from its journal's
// output entry; nil when the journal has none (the run has not ended,
// succeeded, or Restate no longer keeps its journal).
func ReadFailure(ctx context.Context, q Querier, invocationID string) (*Failure, error) {
	rows, err := q.Query(ctx, `SELECT entry_json FROM sys_journal WHERE id = `+quote(invocationID)+` AND entry_type = 'Command: Output'`)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	var entry journalRow
	if err := json.Unmarshal([]byte(str(rows[0]["entry_json"])), &entry); err != nil || entry.Command.Output == nil {
		return nil, fmt.Errorf("journal output entry of %s: %v", invocationID, err)
	}
	res := decodeResult(entry.Command.Output.Result, 0)
	if !res.failed {
		return nil, nil
	}
	return &Failure{Code: res.code, ErrorCode: res.errorCode, Step: res.step, Message: res.message}, nil
}

// RunFilter selects runs for ListRuns: each field that is set narrows the
// selection.
type RunFilter struct {
	// Finished selects the runs that have ended (true) or not (false);
	// Succeeded, of those, the ones that succeeded or failed.
	Finished, Succeeded *bool
	IDPrefix            string
	// CreatedAfter and CreatedBefore bound when the run started.
	CreatedAfter, CreatedBefore time.Time
	// Before continues a listing after the run the cursor names.
	Before *Cursor
}

// Cursor is a run's place in a listing, newest first.
type Cursor struct {
	CreatedAt  string
	WorkflowID string
	// InvocationID is the run's invocation (see Reader.FetchInvocation).
	InvocationID string
}

// Listed is a run ListRuns found: its place in the listing, and its
// invocation, from which Reader.FetchListed goes on.
type Listed struct {
	Cursor
	invocation map[string]any
}

// ListRuns returns at most limit runs that match f, newest first, each
// with its place in the listing.
func ListRuns(ctx context.Context, q Querier, f RunFilter, limit int) ([]Listed, error) {
	where := []string{"target_service_name = " + quote(interpreter.WorkflowService), "target_handler_name = 'Run'"}
	switch {
	case f.Finished == nil:
	case !*f.Finished:
		where = append(where, "status != 'completed'")
	case f.Succeeded == nil:
		where = append(where, "status = 'completed'")
	case *f.Succeeded:
		where = append(where, "completion_result = 'success'")
	default:
		where = append(where, "completion_result = 'failure'")
	}
	if f.IDPrefix != "" {
		where = append(where, "starts_with(target_service_key, "+quote(f.IDPrefix)+")")
	}
	if !f.CreatedAfter.IsZero() {
		where = append(where, "created_at >= "+quote(f.CreatedAfter.UTC().Format(time.RFC3339Nano)))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "created_at < "+quote(f.CreatedBefore.UTC().Format(time.RFC3339Nano)))
	}
	if c := f.Before; c != nil {
		at := quote(c.CreatedAt)
		where = append(where, fmt.Sprintf("(created_at < %s OR created_at = %s AND target_service_key < %s)", at, at, quote(c.WorkflowID)))
	}
	rows, err := q.Query(ctx, fmt.Sprintf("SELECT %s FROM sys_invocation WHERE %s ORDER BY created_at DESC, target_service_key DESC LIMIT %d",
		invocationColumns, strings.Join(where, " AND "), limit))
	if err != nil {
		return nil, err
	}
	runs := make([]Listed, len(rows))
	for i, row := range rows {
		runs[i] = Listed{Cursor: Cursor{CreatedAt: str(row["created_at"]), WorkflowID: str(row["target_service_key"]), InvocationID: str(row["id"])}, invocation: row}
	}
	return runs, nil
}
