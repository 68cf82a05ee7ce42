package console_test

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
)

// benchRuns is how many runs BenchmarkRunsPage seeds; without it the
// benchmark seeds none and is skipped, because seeding 10,000 runs takes
// minutes.
const benchRuns = "REAFLOW_CONSOLE_BENCH_RUNS"

// BenchmarkRunsPage measures the server time of the runs page (the first
// page, and one filtered by state) with REAFLOW_CONSOLE_BENCH_RUNS runs
// in Restate, and reports the median and 90th percentile:
//
//	REAFLOW_CONSOLE_BENCH_RUNS=10000 go test -run '^$' -bench RunsPage -benchtime 50x ./internal/console
func BenchmarkRunsPage(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv(benchRuns))
	if n <= 0 {
		b.Skipf("set %s=10000 to seed that many runs and measure", benchRuns)
	}
	seed(b, n)
	br := newBrowser(b)
	for _, path := range []string{"/runs", "/runs?state=done", "/runs?partial=1"} {
		b.Run(path, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				status, _ := br.get(path)
				times = append(times, time.Since(start))
				if status != http.StatusOK {
					b.Fatalf("GET %s: %d", path, status)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*9/10].Microseconds())/1000, "p90-ms")
		})
	}
}

// seed starts n runs of a one-step definition and waits until Restate
// has them all.
func seed(b *testing.B, n int) {
	b.Helper()
	const trivial = `{"name": "seeded", "steps": [{"id": "one", "set": {"x": 1}}]}`
	start := time.Now()
	prefix := fmt.Sprintf("seed-%d", time.Now().UnixNano())
	var wg sync.WaitGroup
	ids := make(chan int)
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for i := range ids {
				_, err := cl.Submit(b.Context(), client.SubmitRequest{Definition: []byte(trivial), ID: fmt.Sprintf("%s-%05d", prefix, i), Input: []byte(`{}`)})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
	waitState(b, fmt.Sprintf("%s-%05d", prefix, n-1), client.Done)
	b.Logf("seeded %d runs in %s", n, time.Since(start).Round(time.Second))
}
