package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Journal counts the journal entries of one run.
type Journal struct {
	// Run counts the entries of the run's own invocation.
	Run int `json:"run"`
	// Dedup counts the entries of the dedup object invocations the run
	// called, together; 0 for variants without dedup.
	Dedup int `json:"dedup,omitempty"`
}

func (j Journal) String() string {
	if j.Dedup == 0 {
		return strconv.Itoa(j.Run)
	}
	return fmt.Sprintf("%d+%d", j.Run, j.Dedup)
}

// Querier runs SQL against Restate's introspection tables, as
// restateserver.Server.Query does.
type Querier interface {
	Query(ctx context.Context, sql string) ([]map[string]any, error)
}

// CountJournal counts the journal entries of the run of variant v with
// workflow id, from Restate's own journal table, and of the invocations
// it called (the dedup objects'). The run must have completed: Restate
// keeps a completed invocation's journal for a day by default.
func CountJournal(ctx context.Context, q Querier, v Variant, id string) (Journal, error) {
	rows, err := q.Query(ctx, fmt.Sprintf(
		"SELECT id FROM sys_invocation WHERE target_service_name = %s AND target_service_key = %s",
		sqlString(Service(v)), sqlString(id)))
	if err != nil {
		return Journal{}, err
	}
	if len(rows) != 1 {
		return Journal{}, fmt.Errorf("%d invocations of %s with key %q, want 1", len(rows), Service(v), id)
	}
	invocation, _ := rows[0]["id"].(string)
	var j Journal
	if j.Run, err = countEntries(ctx, q, "id = "+sqlString(invocation)); err != nil {
		return Journal{}, err
	}
	if j.Dedup, err = countEntries(ctx, q, "id IN (SELECT id FROM sys_invocation WHERE invoked_by_id = "+sqlString(invocation)+")"); err != nil {
		return Journal{}, err
	}
	return j, nil
}

// countEntries counts the rows of sys_journal that match where.
func countEntries(ctx context.Context, q Querier, where string) (int, error) {
	rows, err := q.Query(ctx, "SELECT count(*) AS entries FROM sys_journal WHERE "+where)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 {
		return 0, fmt.Errorf("count of journal entries: %d rows", len(rows))
	}
	n, ok := rows[0]["entries"].(float64)
	if !ok {
		return 0, fmt.Errorf("count of journal entries: unexpected row %v", rows[0])
	}
	return int(n), nil
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
