package interpreter

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

// fireTimes are the first n fire times of spec after from, in UTC.
func fireTimes(t *testing.T, spec ScheduleSpec, from string, n int) []string {
	t.Helper()
	c, err := compileSpec(spec)
	require.NoError(t, err)
	var out []string
	for at, ok := c.next(mustTime(t, from)); ok && len(out) < n; at, ok = c.next(at) {
		out = append(out, at.UTC().Format(time.RFC3339))
	}
	return out
}

func TestEveryFiresOnMultiplesOfTheInterval(t *testing.T) {
	spec := ScheduleSpec{Workflow: "w", Every: "10s"}
	require.Equal(t, []string{"2026-03-01T10:00:10Z", "2026-03-01T10:00:20Z", "2026-03-01T10:00:30Z"},
		fireTimes(t, spec, "2026-03-01T10:00:03Z", 3))
	// The same grid whenever one asks: a tick that is late does not shift it.
	require.Equal(t, []string{"2026-03-01T10:00:20Z"}, fireTimes(t, spec, "2026-03-01T10:00:10Z", 1))
	spec.Start, spec.End = mustTime(t, "2026-03-01T12:00:00Z"), mustTime(t, "2026-03-01T12:00:20Z")
	require.Equal(t, []string{"2026-03-01T12:00:00Z", "2026-03-01T12:00:10Z", "2026-03-01T12:00:20Z"},
		fireTimes(t, spec, "2026-03-01T10:00:03Z", 5))
}

// TestCronOverDaylightSavingTime pins what robfig/cron does on the days a
// zone changes its clocks, as the README documents it: on the
// spring-forward day a time inside the skipped hour (02:30 in New York on
// 2026-03-08) does not exist and that day has no such fire; on the
// fall-back day a time inside the repeated hour (01:30 on 2026-11-01)
// fires at both of its occurrences, EDT and then EST: two instants, so two
// run ids. Fires outside the changed
// hour keep their wall-clock time, so their UTC instant moves by an hour.
func TestCronOverDaylightSavingTime(t *testing.T) {
	ny := ScheduleSpec{Workflow: "w", Cron: "30 2 * * *", Timezone: "America/New_York"}
	require.Equal(t, []string{
		"2026-03-07T07:30:00Z", // 02:30 EST
		"2026-03-09T06:30:00Z", // 02:30 EDT: 03-08 has no 02:30
		"2026-03-10T06:30:00Z",
	}, fireTimes(t, ny, "2026-03-07T00:00:00Z", 3))

	ny.Cron = "30 1 * * *"
	require.Equal(t, []string{
		"2026-10-31T05:30:00Z", // 01:30 EDT
		"2026-11-01T05:30:00Z", // 01:30 EDT
		"2026-11-01T06:30:00Z", // 01:30 EST, an hour later
		"2026-11-02T06:30:00Z",
	}, fireTimes(t, ny, "2026-10-31T00:00:00Z", 4))

	berlin := ScheduleSpec{Workflow: "w", Cron: "0 9 * * *", Timezone: "Europe/Berlin"}
	require.Equal(t, []string{
		"2026-03-28T08:00:00Z", // 09:00 CET
		"2026-03-29T07:00:00Z", // 09:00 CEST
	}, fireTimes(t, berlin, "2026-03-28T00:00:00Z", 2))

	utc := ScheduleSpec{Workflow: "w", Cron: "0 */6 * * *"}
	require.Equal(t, []string{"2026-03-08T06:00:00Z", "2026-03-08T12:00:00Z"}, fireTimes(t, utc, "2026-03-08T01:00:00Z", 2))
}

func TestCompileSpecRefusesBadSpecs(t *testing.T) {
	for _, tc := range []struct {
		spec ScheduleSpec
		want string
	}{
		{ScheduleSpec{Workflow: "w", Cron: "61 * * * *"}, `cron "61 * * * *"`},
		{ScheduleSpec{Workflow: "w", Cron: "* * *"}, `cron "* * *"`},
		{ScheduleSpec{Workflow: "w", Cron: "0 9 * * *", Timezone: "Mars/Olympus"}, `time zone "Mars/Olympus" is not in the IANA time zone database`},
		{ScheduleSpec{Workflow: "w", Cron: "CRON_TZ=UTC 0 9 * * *"}, "--timezone"},
		{ScheduleSpec{Workflow: "w", Cron: "@every 5s"}, "--every 5s"},
		{ScheduleSpec{Workflow: "w", Every: "500ms"}, "at least 1s"},
		{ScheduleSpec{Workflow: "w", Every: "soon"}, `every "soon"`},
		{ScheduleSpec{Workflow: "w", Every: "1m", Timezone: "UTC"}, "time zone applies to cron"},
		{ScheduleSpec{Workflow: "w"}, "give a cron expression or an interval"},
		{ScheduleSpec{Workflow: "w", Cron: "@daily", Every: "1m"}, "not both"},
		{ScheduleSpec{Workflow: "w x", Every: "1m"}, `workflow "w x"`},
		{ScheduleSpec{Workflow: "w", Every: "1m", Overlap: "queue"}, `overlap "queue"`},
		{ScheduleSpec{Workflow: "w", Every: "1m", CatchupWindow: "10ms"}, "at least 1s"},
		{ScheduleSpec{Workflow: "w", Every: "1m", Jitter: "-1s"}, "negative"},
		{ScheduleSpec{Workflow: "w", Every: "1m", Start: mustTime(t, "2026-01-02T00:00:00Z"), End: mustTime(t, "2026-01-01T00:00:00Z")}, "is not after start"},
	} {
		_, err := compileSpec(tc.spec)
		require.Error(t, err, "%+v", tc.spec)
		require.Contains(t, err.Error(), tc.want)
	}
}

func TestRunIDsDeriveFromScheduleAndNominalTime(t *testing.T) {
	at := mustTime(t, "2026-03-08T02:30:00-05:00")
	require.Equal(t, "nightly:20260308T073000Z", ScheduleRunID("nightly", at))
	require.Equal(t, ScheduleRunID("nightly", at), ScheduleRunID("nightly", at.UTC()))
	require.Equal(t, "nightly:20260308T073000.500000000Z", ScheduleRunID("nightly", at.Add(500*time.Millisecond)))
	require.Equal(t, "nightly:trigger:20260308T073000.000Z", triggerRunID("nightly", at))
	require.Error(t, CheckScheduleName("a:b"))
	require.Error(t, CheckScheduleName(strings.Repeat("a", 101)))
	require.NoError(t, CheckScheduleName("nightly-report.v2"))
}

func TestJitterIsFixedPerFireAndBounded(t *testing.T) {
	c, err := compileSpec(ScheduleSpec{Workflow: "w", Every: "10s", Jitter: "3s"})
	require.NoError(t, err)
	at := mustTime(t, "2026-03-01T10:00:10Z")
	d := c.delayOf("s", at)
	require.Equal(t, d, c.delayOf("s", at))
	seen := map[time.Duration]bool{}
	for i := range 50 {
		d := c.delayOf("s", at.Add(time.Duration(i)*10*time.Second))
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.Less(t, d, 3*time.Second)
		seen[d] = true
	}
	require.Greater(t, len(seen), 10)
}

func TestBackfillTimesAreTheRangesFires(t *testing.T) {
	c, err := compileSpec(ScheduleSpec{Workflow: "w", Every: "1m"})
	require.NoError(t, err)
	times := backfillTimes(c, mustTime(t, "2026-03-01T10:00:00Z"), mustTime(t, "2026-03-01T10:03:00Z"))
	require.Len(t, times, 4) // both ends included
	require.Len(t, backfillTimes(c, mustTime(t, "2026-03-01T00:00:00Z"), mustTime(t, "2026-03-09T00:00:00Z")), MaxBackfillFires+1)
}
