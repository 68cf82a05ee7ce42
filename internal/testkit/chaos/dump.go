package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
)

// maxDumps bounds the runs written out after a failed soak.
const maxDumps = 25

// dumpRuns writes, for each run that has a problem, everything the soak
// knows about it into dir/runs/<id>.txt while restate-server still runs:
// its input and expectations, what the driver saw, its effects in the
// ledger, and Restate's invocations and journal entries for it and its
// child invocations. It returns the directory, or "" if nothing was
// written.
func dumpRuns(ctx context.Context, dir string, q querier, obs []*observation, problems []Problem, l sandbox.Ledger) string {
	failing := map[string][]Problem{}
	for _, p := range problems {
		if p.Run != "" {
			failing[p.Run] = append(failing[p.Run], p)
		}
	}
	if len(failing) == 0 {
		return ""
	}
	out := filepath.Join(dir, "runs")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return ""
	}
	byKey := map[string][]sandbox.Effect{}
	for _, e := range l.Effects {
		byKey[e.IdempotencyKey] = append(byKey[e.IdempotencyKey], e)
	}
	n := 0
	for _, o := range obs {
		ps, ok := failing[o.Run.ID]
		if !ok || n == maxDumps {
			continue
		}
		n++
		var b strings.Builder
		w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
		r := o.Run
		w("run %s (%s), definition %s", r.ID, r.Scenario, r.File)
		w("input %s", r.Input)
		if r.RedriveOf != "" {
			w("redrive (generation %d) of %s", r.Generation, r.RedriveOf)
		}
		if r.Signal != nil {
			w("signal approve %s: delivered %v after %d attempts", r.Signal, o.SignalDelivered, o.SignalAttempts)
		}
		w("\nproblems:")
		for _, p := range ps {
			w("  [%s] %s", p.Check, p.Detail)
		}
		w("\nseen: submitted %v (%d attempts), finished %v, status %q, result %q", o.Submitted, o.SubmitAttempts, o.Finished, o.State.Status, o.State.Result)
		if o.State.Failure != "" {
			w("error: %s", o.State.Failure)
		}
		if o.Output != nil {
			w("output: %s", o.Output)
		}
		w("\nexpected effects and the ledger's:")
		for _, e := range r.Expect.Effects {
			w("  %-14s %s %s", e.Label, e.Route, e.Key)
			for _, got := range byKey[e.Key] {
				w("      %s", describe(got))
			}
		}
		w("\nRestate's invocations (the run and its children) and journals:")
		dumpInvocations(ctx, q, &b, r.ID)
		if err := os.WriteFile(filepath.Join(out, r.ID+".txt"), []byte(b.String()), 0o644); err != nil {
			return ""
		}
	}
	return out
}

// dumpInvocations writes the invocations of the run (its Run and Signal
// handlers, then their children, two levels down) with their journals.
func dumpInvocations(ctx context.Context, q querier, b *strings.Builder, id string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	const cols = `id, target, status, completion_result, completion_failure, retry_count, last_failure, created_at, completed_at`
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT %s FROM sys_invocation WHERE target_service_key = '%s'`, cols, sqlQuote(id)))
	if err != nil {
		fmt.Fprintf(b, "  (not readable: %v)\n", err)
		return
	}
	for depth := 0; len(rows) > 0 && depth < 3; depth++ {
		var ids []string
		sort.Slice(rows, func(i, j int) bool { return str(rows[i]["created_at"]) < str(rows[j]["created_at"]) })
		for _, row := range rows {
			inv := str(row["id"])
			ids = append(ids, "'"+sqlQuote(inv)+"'")
			indent := strings.Repeat("    ", depth)
			fmt.Fprintf(b, "  %s%s %s: %s", indent, inv, str(row["target"]), str(row["status"]))
			for _, col := range []string{"completion_result", "completion_failure", "retry_count", "last_failure"} {
				if v, ok := row[col]; ok {
					fmt.Fprintf(b, ", %s %v", col, v)
				}
			}
			fmt.Fprintf(b, " (created %s, completed %s)\n", str(row["created_at"]), str(row["completed_at"]))
			entries, err := q.Query(ctx, fmt.Sprintf(`SELECT index, entry_type, name, appended_at FROM sys_journal WHERE id = '%s' ORDER BY index`, sqlQuote(inv)))
			if err != nil {
				fmt.Fprintf(b, "  %s    (journal not readable: %v)\n", indent, err)
				continue
			}
			for _, e := range entries {
				fmt.Fprintf(b, "  %s    %3v %-28s %-14s %s\n", indent, e["index"], str(e["entry_type"]), str(e["name"]), str(e["appended_at"]))
			}
		}
		rows, err = q.Query(ctx, fmt.Sprintf(`SELECT %s FROM sys_invocation WHERE invoked_by_id IN (%s)`, cols, strings.Join(ids, ", ")))
		if err != nil {
			fmt.Fprintf(b, "  (children not readable: %v)\n", err)
			return
		}
	}
}

func sqlQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }
