package bench

import (
	"math"
	"slices"
	"time"
)

// Summary condenses a Sample.
type Summary struct {
	Runs    int
	Elapsed time.Duration
	// PerSecond is runs completed per second of wall time.
	PerSecond float64
	P50, P99  time.Duration
}

// Summarize computes the throughput and latency percentiles of s.
func Summarize(s Sample) Summary {
	sorted := slices.Clone(s.Latencies)
	slices.Sort(sorted)
	sum := Summary{Runs: len(sorted), Elapsed: s.Elapsed, P50: Percentile(sorted, 50), P99: Percentile(sorted, 99)}
	if s.Elapsed > 0 {
		sum.PerSecond = float64(len(sorted)) / s.Elapsed.Seconds()
	}
	return sum
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value that at least p% of the values
// are at or below. It is always one of the measured values, never an
// interpolation, and 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
