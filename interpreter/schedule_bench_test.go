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

	"github.com/reaflow/reaflow/internal/testkit/bench"
	"github.com/reaflow/reaflow/interpreter"
)

// BenchmarkScheduleFires runs REAFLOW_SCHEDULE_BENCH_N schedules (default
// 100) of every 10s for REAFLOW_SCHEDULE_BENCH_FOR (default 1m) on the
// test's one node, and reports how late fires were handled (the journaled
// time of the Tick minus the nominal time), the fires missed and the runs
// started twice. With REAFLOW_SCHEDULE_BENCH_IDLE (such as 30s) it first
// measures what the schedules cost while idle (see idleCPU). It is a load
// measurement, not a timed test: run it with
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
	var idle map[string]float64
	if span, _ := time.ParseDuration(os.Getenv("REAFLOW_SCHEDULE_BENCH_IDLE")); span > 0 {
		idle = idleCPU(b, t, def, n, span)
	}
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
	for unit, v := range idle {
		b.ReportMetric(v, unit)
	}
	b.Logf("%d schedules for %s: %d fires (about %d due), %d runs recorded", n, span, len(late), expected, runs)
	for _, name := range names {
		_, _ = scheduleCall[restate.Void, restate.Void](t, name, "Delete", restate.Void{})
	}
}

// idleCPU measures the CPU time restate-server and the endpoint (this
// process) use over idle seconds, first with no schedule and then with n
// schedules armed (every 10s from an hour ahead, so each holds a delayed
// Tick and none fires meanwhile), and returns both per second of idle, by
// metric unit.
func idleCPU(b *testing.B, t *testing.T, def string, n int, idle time.Duration) map[string]float64 {
	measure := func() (server, endpoint time.Duration) {
		time.Sleep(5 * time.Second) // the work of the setup settles
		before, err := procCPU()
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(idle)
		after, err := procCPU()
		if err != nil {
			b.Fatal(err)
		}
		return after[0] - before[0], after[1] - before[1]
	}
	perSecond := func(d time.Duration) float64 { return float64(d.Milliseconds()) / idle.Seconds() }
	server, endpoint := measure()
	start := time.Now().Add(time.Hour)
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range names {
		names[i] = fmt.Sprintf("idle-%d-%s", i, def)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := scheduleCall[interpreter.ScheduleSpec, interpreter.ScheduleInfo](t, names[i], "Create",
				interpreter.ScheduleSpec{Workflow: def, Every: "10s", Start: start, Input: json.RawMessage(`{}`)})
			if err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	armedServer, armedEndpoint := measure()
	b.Logf("idle %s: restate-server %s, endpoint %s; with %d schedules armed: restate-server %s, endpoint %s",
		idle, server, endpoint, n, armedServer, armedEndpoint)
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = scheduleCall[restate.Void, restate.Void](t, name, "Delete", restate.Void{})
		}()
	}
	wg.Wait()
	return map[string]float64{
		"idle-server-cpu-ms/s": perSecond(server), "idle-endpoint-cpu-ms/s": perSecond(endpoint),
		"armed-server-cpu-ms/s": perSecond(armedServer), "armed-endpoint-cpu-ms/s": perSecond(armedEndpoint),
	}
}

// procCPU reads the CPU time restate-server and this process have used.
func procCPU() ([2]time.Duration, error) {
	var cpu [2]time.Duration
	for i, pid := range []int{restateServer.Pid(), os.Getpid()} {
		ps, err := bench.ReadProc(pid)
		if err != nil {
			return cpu, err
		}
		cpu[i] = ps.CPU
	}
	return cpu, nil
}
