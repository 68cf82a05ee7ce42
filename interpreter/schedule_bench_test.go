package interpreter_test

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/interpreter"
)

// BenchmarkScheduleFires runs REAFLOW_SCHEDULE_BENCH_N schedules (default
// 100) of every 10s for REAFLOW_SCHEDULE_BENCH_FOR (default 1m) on the
// test's one node, and reports how late fires were handled (the journaled
// time of the Tick minus the nominal time), the fires missed and the runs
// started twice. It is a load measurement, not a timed test: run it with
//
//	go test ./interpreter -run '^$' -bench BenchmarkScheduleFires -benchtime 1x
func BenchmarkScheduleFires(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("REAFLOW_SCHEDULE_BENCH_N"))
	if n == 0 {
		n = 100
	}
	span, _ := time.ParseDuration(os.Getenv("REAFLOW_SCHEDULE_BENCH_FOR"))
	if span == 0 {
		span = time.Minute
	}
	t := &testing.T{}
	def := deployScheduled(t, "")
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range names {
		names[i] = fmt.Sprintf("bench-%d-%s", i, def)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, names[i], "Create",
				interpreter.ScheduleSpec{Workflow: def, Every: "10s", Input: json.RawMessage(`{}`)})
			if err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	time.Sleep(span)
	var late []time.Duration
	var missed, skipped, expected int64
	for _, name := range names {
		info, err := scheduleCall[string, interpreter.ScheduleInfo](t, name, "Pause", "")
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range info.Recent {
			if f.State != interpreter.FireMissed {
				late = append(late, f.FiredAt.Sub(f.Nominal))
			}
		}
		missed += info.Counts.Missed
		skipped += info.Counts.Skipped
		expected += int64(info.UpdatedAt.Sub(info.CreatedAt) / (10 * time.Second))
	}
	b.StopTimer()
	time.Sleep(2 * time.Second)
	duplicates := 0
	runs := 0
	for _, name := range names {
		for _, calls := range scheduledRuns(name) {
			runs++
			if calls > 1 {
				duplicates++
			}
		}
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	if len(late) > 0 {
		b.ReportMetric(float64(late[len(late)/2].Milliseconds()), "p50-late-ms")
		b.ReportMetric(float64(late[len(late)*99/100].Milliseconds()), "p99-late-ms")
		b.ReportMetric(float64(late[len(late)-1].Milliseconds()), "max-late-ms")
	}
	b.ReportMetric(float64(len(late)), "fires")
	b.ReportMetric(float64(runs), "runs")
	b.ReportMetric(float64(missed), "missed")
	b.ReportMetric(float64(skipped), "skipped")
	b.ReportMetric(float64(duplicates), "duplicates")
	b.Logf("%d schedules for %s: %d fires (about %d due), %d runs recorded", n, span, len(late), expected, runs)
	for _, name := range names {
		_, _ = scheduleCall[restate.Void, restate.Void](t, name, "Delete", restate.Void{})
	}
}
