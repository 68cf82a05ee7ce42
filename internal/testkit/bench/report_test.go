package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// result makes a Result of runs runs over elapsed seconds.
func result(k, c int, v Variant, rep, runs int, elapsed float64, p50 time.Duration, j Journal) Result {
	e := time.Duration(elapsed * float64(time.Second))
	return Result{
		Section:     Section{Point: Point{Steps: k, Concurrency: c}, Variant: v, Rep: rep, Runs: runs},
		Summary:     Summary{Runs: runs, Elapsed: e, PerSecond: float64(runs) / elapsed, P50: p50, P99: 2 * p50},
		Journal:     j,
		EndpointCPU: time.Duration(runs*k) * 100 * time.Microsecond,
		ServerCPU:   time.Duration(runs*k) * 300 * time.Microsecond,
		LoadCPU:     time.Duration(runs*k) * 50 * time.Microsecond,
		Endpoint:    ProcStats{RSS: 64 << 20},
	}
}

func TestAggregateComparesEachRepetitionWithTheBaselines(t *testing.T) {
	ms := time.Millisecond
	rows := Aggregate([]Result{
		result(3, 1, Plain, 0, 100, 2.0, 20*ms, Journal{Run: 8}),
		result(3, 1, Baseline, 0, 100, 1.0, 10*ms, Journal{Run: 8}),
		result(3, 1, Baseline, 1, 100, 0.8, 8*ms, Journal{Run: 8}),
		result(3, 1, Plain, 1, 100, 1.6, 16*ms, Journal{Run: 8}),
		result(3, 1, Dedup, 0, 100, 4.0, 40*ms, Journal{Run: 11, Dedup: 18}),
	})
	require.Len(t, rows, 3)
	assert.Equal(t, []Variant{Baseline, Plain, Dedup}, []Variant{rows[0].Variant, rows[1].Variant, rows[2].Variant}, "variants in the order of Variants")

	base, plain, dedup := rows[0], rows[1], rows[2]
	assert.InDelta(t, 125, base.WorkflowsPerSec, 1e-9, "of two repetitions, the faster: 100 runs in 0.8s")
	assert.InDelta(t, 375, base.StepsPerSec, 1e-9)
	assert.Equal(t, 8*ms, base.P50)
	assert.Equal(t, 16*ms, base.P99)
	assert.InDelta(t, 0.2, base.Spread, 1e-9, "100 and 125 wf/s")
	assert.Zero(t, base.ThroughputRatio)
	assert.Equal(t, 2, base.Reps)
	assert.Equal(t, 100*time.Microsecond, base.EndpointCPUPerStep)
	assert.Equal(t, 300*time.Microsecond, base.ServerCPUPerStep)
	assert.Equal(t, 50*time.Microsecond, base.LoadCPUPerStep)

	assert.InDelta(t, 0.5, plain.ThroughputRatio, 1e-9)
	assert.InDelta(t, 2.0, plain.P50Ratio, 1e-9)
	assert.Equal(t, Journal{Run: 11, Dedup: 18}, dedup.Journal)
	assert.Equal(t, 1, dedup.Reps)
	assert.Zero(t, dedup.Spread)
	assert.InDelta(t, 0.25, dedup.ThroughputRatio, 1e-9, "compared with the baseline of its own repetition, 100 wf/s")
}

// With an odd count the row is the middle repetition, and each ratio the
// median of the per-repetition ratios: a baseline that had one lucky
// spell does not decide the comparison.
func TestAggregateTakesMedians(t *testing.T) {
	ms := time.Millisecond
	rows := Aggregate([]Result{
		result(9, 32, Baseline, 0, 300, 1.0, 100*ms, Journal{Run: 20}),  // 300 wf/s
		result(9, 32, Plain, 0, 300, 1.2, 110*ms, Journal{Run: 20}),     // 250 wf/s, ratio 0.83
		result(9, 32, Plain, 1, 300, 1.5, 150*ms, Journal{Run: 20}),     // 200 wf/s, ratio 0.96
		result(9, 32, Baseline, 1, 300, 1.44, 140*ms, Journal{Run: 20}), // 208 wf/s
		result(9, 32, Baseline, 2, 300, 2.0, 200*ms, Journal{Run: 20}),  // 150 wf/s
		result(9, 32, Plain, 2, 300, 2.0, 190*ms, Journal{Run: 20}),     // 150 wf/s, ratio 1
	})
	require.Len(t, rows, 2)
	base, plain := rows[0], rows[1]
	assert.InDelta(t, 300/1.44, base.WorkflowsPerSec, 1e-9)
	assert.Equal(t, 140*ms, base.P50)
	assert.InDelta(t, 200, plain.WorkflowsPerSec, 1e-9)
	assert.InDelta(t, 1.44/1.5, plain.ThroughputRatio, 1e-9)
	assert.InDelta(t, 150.0/140, plain.P50Ratio, 1e-9, "p50 ratios 1.1, 1.07, 0.95")
	assert.InDelta(t, 0.5, base.Spread, 1e-9, "150 to 300 wf/s")
}

func TestProblemsFlagsPlainRunsThatJournalMore(t *testing.T) {
	r := &Report{Rows: Aggregate([]Result{
		result(1, 1, Baseline, 0, 10, 1, time.Millisecond, Journal{Run: 4}),
		result(1, 1, Plain, 0, 10, 1, time.Millisecond, Journal{Run: 4}),
		result(9, 1, Baseline, 0, 10, 1, time.Millisecond, Journal{Run: 20}),
		result(9, 1, Plain, 0, 10, 1, time.Millisecond, Journal{Run: 29}),
		// Dedup journals more by design.
		result(9, 1, Dedup, 0, 10, 1, time.Millisecond, Journal{Run: 29, Dedup: 54}),
	})}
	assert.Equal(t, []string{"K=9 C=1: a plain interpreted run has 29 journal entries, the hand-written one 20"}, r.Problems())

	var out strings.Builder
	require.NoError(t, r.WriteText(&out))
	assert.Contains(t, out.String(), "!!! JOURNAL MISMATCH: K=9 C=1")
}

func TestWriteTextAlignsColumns(t *testing.T) {
	ms := time.Millisecond
	r := &Report{
		Machine:  Machine{CPU: "Test CPU", Cores: 2, MemoryGiB: 4, OS: "linux/amd64", Go: "go1.26", Restate: "restate-server 1.7.12"},
		Revision: "f13ee02+dirty",
		Command:  "reaflow-bench --steps=27",
		Rows: Aggregate([]Result{
			result(27, 32, Baseline, 0, 300, 3.0, 350*ms, Journal{Run: 56}),
			result(27, 32, Dedup, 0, 300, 24.0, 2400*ms, Journal{Run: 83, Dedup: 162}),
		}),
		EndpointPeakRSS: 110 << 20,
		Wall:            4*time.Minute + 30*time.Second,
	}
	var out strings.Builder
	require.NoError(t, r.WriteText(&out))
	want := `machine:  Test CPU, 2 cores, 4.0 GiB RAM, linux/amd64, go1.26, restate-server 1.7.12
revision: f13ee02+dirty
command:  reaflow-bench --steps=27

 K   C  variant    wf/s  steps/s  p50 ms  p99 ms  ×wf/s  ×p50  spread  journal  ep µs/step  srv µs/step  gen µs/step  ep RSS MiB
27  32  baseline  100.0     2700   350.0   700.0      -     -      0%       56         100          300           50        64.0
27  32  dedup      12.5      338  2400.0  4800.0   0.12  6.86      0%   83+162         100          300           50        64.0

endpoint peak RSS (VmHWM) 110.0 MiB; wall time 4m30s
`
	assert.Equal(t, want, out.String())
}

func TestWriteMarkdown(t *testing.T) {
	r := &Report{Rows: Aggregate([]Result{result(1, 1, Baseline, 0, 10, 1, time.Millisecond, Journal{Run: 4})})}
	var out strings.Builder
	require.NoError(t, r.WriteMarkdown(&out))
	lines := strings.Split(out.String(), "\n")
	assert.Contains(t, lines, "| K | C | variant | wf/s | steps/s | p50 ms | p99 ms | ×wf/s | ×p50 | spread | journal | ep µs/step | srv µs/step | gen µs/step | ep RSS MiB |")
	assert.Contains(t, lines, "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	assert.Contains(t, lines, "| 1 | 1 | baseline | 10.0 | 10 | 1.0 | 2.0 | - | - | 0% | 4 | 100 | 300 | 50 | 64.0 |")
}
