package interpreter_test

import (
	"encoding/json"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

// overlapSeen is what polling a schedule saw while its slow runs overlapped
// its fires.
type overlapSeen struct {
	maxInFlight int // runs in flight and not cancelled
	maxRunning  int // runs in flight, cancelled or not
	buffered    bool
	states      map[string]int // fire states in the last describe
	info        interpreter.ScheduleInfo
}

// watchOverlap runs a schedule of every 1s over runs that take 2.5s under
// policy, until done says the schedule has shown enough.
func watchOverlap(t *testing.T, policy interpreter.Overlap, done func(overlapSeen) bool) overlapSeen {
	def := deployScheduled(t, "2500ms")
	name := "overlap-" + string(policy) + "-" + def
	_, err := scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, name, "Create",
		interpreter.ScheduleSpec{Workflow: def, Every: "1s", Input: json.RawMessage(`{}`), Overlap: policy})
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = scheduleCall[restate.Void, restate.Void](t, name, "Delete", restate.Void{}) })
	var seen overlapSeen
	waitLong(t, string(policy)+" to show its behaviour", func() bool {
		seen.info = describe(t, name)
		inFlight := 0
		for _, r := range seen.info.Running {
			if !r.Cancelled {
				inFlight++
			}
		}
		seen.maxInFlight = max(seen.maxInFlight, inFlight)
		seen.maxRunning = max(seen.maxRunning, len(seen.info.Running))
		seen.buffered = seen.buffered || seen.info.Buffered != nil
		seen.states = map[string]int{}
		for _, f := range seen.info.Recent {
			seen.states[f.State]++
		}
		return done(seen)
	})
	requireOncePerTick(t, name, scheduledRuns(name))
	return seen
}

func TestScheduleOverlapPolicies(t *testing.T) {
	t.Run("skip", func(t *testing.T) {
		t.Parallel()
		seen := watchOverlap(t, interpreter.OverlapSkip, func(s overlapSeen) bool {
			return s.info.Counts.Started >= 3
		})
		require.Equal(t, 1, seen.maxInFlight, "never two runs at once")
		require.GreaterOrEqual(t, seen.info.Counts.Skipped, int64(2), "fires during a run are skipped")
		require.False(t, seen.buffered)
	})
	t.Run("buffer-one", func(t *testing.T) {
		t.Parallel()
		seen := watchOverlap(t, interpreter.OverlapBufferOne, func(s overlapSeen) bool {
			return s.info.Counts.Started >= 3
		})
		require.Equal(t, 1, seen.maxInFlight, "never two runs at once")
		require.True(t, seen.buffered, "a fire during a run waits for it")
		require.GreaterOrEqual(t, seen.info.Counts.Skipped, int64(1), "a second fire while one is buffered is skipped")
		// The buffered fire starts when the run before it ends, so its
		// run starts well after its nominal time.
		late := false
		for _, f := range seen.info.Recent {
			late = late || (f.RunID != "" && f.State != interpreter.FireSkipped && f.State != interpreter.FireBuffered && f.FiredAt.Sub(f.Nominal) > time.Second)
		}
		require.True(t, late, "a buffered fire ran after the run before it: %+v", seen.info.Recent)
	})
	t.Run("allow-all", func(t *testing.T) {
		t.Parallel()
		seen := watchOverlap(t, interpreter.OverlapAllowAll, func(s overlapSeen) bool {
			return s.maxInFlight >= 2 && s.info.Counts.Started >= 4
		})
		require.Zero(t, seen.info.Counts.Skipped)
	})
	t.Run("cancel-previous", func(t *testing.T) {
		t.Parallel()
		seen := watchOverlap(t, interpreter.OverlapCancelPrevious, func(s overlapSeen) bool {
			return s.states[interpreter.FireCancelled] >= 2
		})
		require.Equal(t, 1, seen.maxInFlight, "the previous run is cancelled when the next starts")
		require.Zero(t, seen.info.Counts.Skipped)
	})
}

// A backfill starts the runs of exactly the range's fire times, under the
// ids their fires have; a second backfill of the range starts none again.
func TestScheduleBackfillRunsTheRangeOnce(t *testing.T) {
	def := deployScheduled(t, "")
	name := "backfill-" + def
	_, err := scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, name, "Create",
		interpreter.ScheduleSpec{Workflow: def, Cron: "0 * * * *", Timezone: "Europe/Berlin", Input: json.RawMessage(`{}`), Paused: true})
	require.NoError(t, err)
	from, to := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 3, 0, 0, 0, time.UTC)
	want := map[string]int{}
	for _, at := range []string{"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", "2026-03-29T03:00:00Z"} {
		parsed, err := time.Parse(time.RFC3339, at)
		require.NoError(t, err)
		want[interpreter.ScheduleRunID(name, parsed)] = 1
	}
	for range 2 {
		fires, err := scheduleCall[interpreter.BackfillRequest, []interpreter.Fire](t, name, "Backfill", interpreter.BackfillRequest{From: from, To: to})
		require.NoError(t, err)
		require.Len(t, fires, len(want))
		for _, f := range fires {
			require.Contains(t, want, f.RunID)
			require.Equal(t, interpreter.FireBackfill, f.Reason)
		}
		waitLong(t, "the backfilled runs", func() bool { return len(scheduledRuns(name)) == len(want) })
	}
	waitLong(t, "the runs to be reported finished", func() bool {
		info := describe(t, name)
		return len(info.Running) == 0
	})
	time.Sleep(time.Second)
	require.Equal(t, want, scheduledRuns(name), "each fire of the range ran once")

	_, err = scheduleCall[interpreter.BackfillRequest, []interpreter.Fire](t, name, "Backfill",
		interpreter.BackfillRequest{From: from, To: from.Add(-time.Hour)})
	require.ErrorContains(t, err, "from at or before to")
	_, err = scheduleCall[interpreter.BackfillRequest, []interpreter.Fire](t, name, "Backfill",
		interpreter.BackfillRequest{From: from, To: from.AddDate(1, 0, 0)})
	require.ErrorContains(t, err, "more than 1000 fires")
}
