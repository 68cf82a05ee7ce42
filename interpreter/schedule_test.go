package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

// deployScheduled deploys a definition named after the test whose runs
// call record with their workflow id, then sleep for sleep (none when
// empty), and returns its name.
func deployScheduled(t *testing.T, sleep string) string {
	t.Helper()
	name := strings.ToLower(fmt.Sprintf("sched-%d", time.Now().UnixNano()))
	steps := `[{"id": "note", "activity": "record", "with": {"label": "${ workflow.id }"}}]`
	if sleep != "" {
		steps = `[{"id": "note", "activity": "record", "with": {"label": "${ workflow.id }"}}, {"id": "wait", "sleep": "` + sleep + `"}]`
	}
	def := `{"name": "` + name + `", "version": "1", "input": {"type": "object", "properties": {"n": {"type": "integer"}}}, "steps": ` + steps + `}`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := ingress.Object[interpreter.DeployRequest, interpreter.DeployResult](client, interpreter.DefinitionsService, name, "Deploy").
		Request(ctx, interpreter.DeployRequest{Definition: def, File: name + ".json"})
	require.NoError(t, err)
	return name
}

func scheduleCall[I, O any](t *testing.T, name, handler string, in I) (O, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return ingress.Object[I, O](client, interpreter.ScheduleService, name, handler).Request(ctx, in)
}

func describe(t *testing.T, name string) interpreter.ScheduleInfo {
	t.Helper()
	info, err := scheduleCall[restate.Void, interpreter.ScheduleInfo](t, name, "Describe", restate.Void{})
	require.NoError(t, err)
	return info
}

// waitLong polls cond until it holds, failing the test after a generous
// deadline: fires are late by however long the machine takes.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scheduledRuns returns the workflow ids of the runs of schedule name that
// called record, each with the number of its calls.
func scheduledRuns(name string) map[string]int {
	recorded.Lock()
	defer recorded.Unlock()
	runs := map[string]int{}
	for id, calls := range recorded.calls {
		if strings.HasPrefix(id, name+":") {
			runs[id] = len(calls)
		}
	}
	return runs
}

// requireOncePerTick checks that every run id of name is a fire time on
// the schedule's whole-second grid, and ran once.
func requireOncePerTick(t *testing.T, name string, runs map[string]int) []time.Time {
	t.Helper()
	var times []time.Time
	for id, calls := range runs {
		require.Equal(t, 1, calls, "run %s recorded %d times", id, calls)
		at, err := time.Parse("20060102T150405Z", strings.TrimPrefix(id, name+":"))
		require.NoError(t, err, "run id %s", id)
		require.Equal(t, id, interpreter.ScheduleRunID(name, at))
		times = append(times, at)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return times
}

func TestScheduleEverySecondPauseResumeDelete(t *testing.T) {
	def := deployScheduled(t, "")
	name := "every-" + def
	info, err := scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, name, "Create",
		interpreter.ScheduleSpec{Workflow: def, Every: "1s", Input: json.RawMessage(`{"n": 1}`), Overlap: interpreter.OverlapAllowAll})
	require.NoError(t, err)
	require.Len(t, info.NextFires, 3)
	require.Equal(t, time.Second, info.NextFires[1].Sub(info.NextFires[0]))

	waitLong(t, "three runs", func() bool { return len(scheduledRuns(name)) >= 3 })
	info, err = scheduleCall[string, interpreter.ScheduleInfo](t, name, "Pause", "maintenance")
	require.NoError(t, err)
	require.True(t, info.Spec.Paused)
	require.Equal(t, "maintenance", info.Spec.Note)
	require.Empty(t, info.NextFires)
	started := info.Counts.Started
	waitLong(t, "the started runs to record", func() bool { return int64(len(scheduledRuns(name))) == started })

	// Paused: nothing fires, even from the timer armed before the pause.
	time.Sleep(3 * time.Second)
	require.Equal(t, started, describe(t, name).Counts.Started)
	before := requireOncePerTick(t, name, scheduledRuns(name))
	require.Len(t, before, int(started))
	for i := 1; i < len(before); i++ {
		require.Equal(t, time.Second, before[i].Sub(before[i-1]), "consecutive fires of every 1s")
	}

	_, err = scheduleCall[restate.Void, interpreter.ScheduleInfo](t, name, "Resume", restate.Void{})
	require.NoError(t, err)
	waitLong(t, "runs after resume", func() bool { return int64(len(scheduledRuns(name))) >= started+2 })
	resumed := requireOncePerTick(t, name, scheduledRuns(name))
	require.Greater(t, resumed[len(before)].Sub(before[len(before)-1]), 2*time.Second, "no fire while paused")

	_, err = scheduleCall[restate.Void, restate.Void](t, name, "Delete", restate.Void{})
	require.NoError(t, err)
	_, err = scheduleCall[restate.Void, interpreter.ScheduleInfo](t, name, "Describe", restate.Void{})
	require.ErrorContains(t, err, "no schedule named")
	time.Sleep(2 * time.Second) // runs started before the delete record
	after := len(scheduledRuns(name))
	time.Sleep(3 * time.Second)
	require.Equal(t, after, len(scheduledRuns(name)), "no fire after delete")
	requireOncePerTick(t, name, scheduledRuns(name))

	// A schedule created again under the name starts a new generation:
	// the old timers stay stale.
	info, err = scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, name, "Create",
		interpreter.ScheduleSpec{Workflow: def, Every: "1h", Input: json.RawMessage(`{}`), Paused: true})
	require.NoError(t, err)
	require.Zero(t, info.Counts.Started)
	_, err = scheduleCall[restate.Void, restate.Void](t, name, "Delete", restate.Void{})
	require.NoError(t, err)
}

func TestScheduleRefusesBadInputAndStoresNothing(t *testing.T) {
	def := deployScheduled(t, "")
	for _, tc := range []struct {
		spec interpreter.ScheduleSpec
		want string
	}{
		{interpreter.ScheduleSpec{Workflow: def, Cron: "0 25 * * *"}, `cron "0 25 * * *"`},
		{interpreter.ScheduleSpec{Workflow: def, Cron: "0 9 * * *", Timezone: "Europe/Atlantis"}, `time zone "Europe/Atlantis" is not in the IANA time zone database`},
		{interpreter.ScheduleSpec{Workflow: "nothing-deployed-here", Every: "1m"}, `workflow is not deployed`},
		{interpreter.ScheduleSpec{Workflow: def + "@9.9", Every: "1m"}, `has no version "9.9"`},
		{interpreter.ScheduleSpec{Workflow: def, Every: "1m", Input: json.RawMessage(`{"n": "one"}`)}, "does not match the input schema"},
		{interpreter.ScheduleSpec{Workflow: def, Every: "500ms"}, "at least 1s"},
		{interpreter.ScheduleSpec{Workflow: def, Every: "1m", Input: json.RawMessage(`{}`), End: time.Now().Add(-time.Hour)}, "no fire time after now"},
	} {
		name := fmt.Sprintf("bad-%d", time.Now().UnixNano())
		_, err := scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, name, "Create", tc.spec)
		require.ErrorContains(t, err, tc.want)
		var answer ingress.Error
		require.ErrorAs(t, err, &answer)
		require.Equal(t, restate.Code(400), answer.Code(), "%v", err)
		_, err = scheduleCall[restate.Void, interpreter.ScheduleInfo](t, name, "Describe", restate.Void{})
		require.ErrorContains(t, err, "no schedule named", "nothing stored for %+v", tc.spec)
	}
	_, err := scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, "a:b", "Create", interpreter.ScheduleSpec{Workflow: def, Every: "1m"})
	require.ErrorContains(t, err, "schedule name")
}

func TestScheduleInternalHandlersArePrivate(t *testing.T) {
	for _, handler := range []string{"Tick", "RunFinished"} {
		_, err := scheduleCall[map[string]any, restate.Void](t, "any", handler, map[string]any{})
		require.Error(t, err, handler)
	}
}
