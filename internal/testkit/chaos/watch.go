package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// watchInterval is how often the watcher reads the runs' states.
const watchInterval = 250 * time.Millisecond

// runState is what Restate's sys_invocation says of a run's Run
// invocation.
type runState struct {
	// Status is Restate's: "completed" once it ended, else "running",
	// "backing-off", "suspended", "paused", ...
	Status string
	// Result is "success" or "failure" once completed; Failure is the
	// error, like "[500] ...".
	Result, Failure string
	// LastFailure and RetryCount tell why an unfinished run is not
	// moving.
	LastFailure string
	RetryCount  int
}

func (s runState) done() bool { return s.Status == "completed" }

// querier runs SQL against the admin API.
type querier interface {
	Query(ctx context.Context, sql string) ([]map[string]any, error)
}

// watcher follows every run through one query of sys_invocation per tick,
// rather than a connection per run: restate-server restarts drop every
// connection, and one query is cheap to repeat.
type watcher struct {
	q querier

	mu      sync.Mutex
	states  map[string]runState
	waiters map[string][]chan struct{}
	// errors counts failed queries: the server is down while it restarts.
	errors int
}

func newWatcher(q querier) *watcher {
	return &watcher{q: q, states: map[string]runState{}, waiters: map[string][]chan struct{}{}}
}

const runsQuery = `SELECT target_service_key, status, completion_result, completion_failure, last_failure, retry_count
FROM sys_invocation WHERE target_service_name = 'Reaflow' AND target_handler_name = 'Run'`

// loop refreshes the states until ctx ends.
func (w *watcher) loop(ctx context.Context) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		w.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refresh reads every run's state once and wakes the waiters of runs that
// have ended.
func (w *watcher) refresh(ctx context.Context) error {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := w.q.Query(qctx, runsQuery)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.errors++
		return err
	}
	for _, row := range rows {
		id := str(row["target_service_key"])
		st := runState{
			Status: str(row["status"]), Result: str(row["completion_result"]), Failure: str(row["completion_failure"]),
			LastFailure: str(row["last_failure"]),
		}
		if n, ok := row["retry_count"].(float64); ok {
			st.RetryCount = int(n)
		}
		w.states[id] = st
		if st.done() {
			for _, c := range w.waiters[id] {
				close(c)
			}
			delete(w.waiters, id)
		}
	}
	return nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// state returns what is known of a run, and false if Restate has not
// listed it yet.
func (w *watcher) state(id string) (runState, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, ok := w.states[id]
	return st, ok
}

// wait returns once the run has ended, or ctx has.
func (w *watcher) wait(ctx context.Context, id string) (runState, error) {
	w.mu.Lock()
	if st, ok := w.states[id]; ok && st.done() {
		w.mu.Unlock()
		return st, nil
	}
	c := make(chan struct{})
	w.waiters[id] = append(w.waiters[id], c)
	w.mu.Unlock()
	select {
	case <-c:
		st, _ := w.state(id)
		return st, nil
	case <-ctx.Done():
		return runState{}, ctx.Err()
	}
}

func (w *watcher) queryErrors() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.errors
}
