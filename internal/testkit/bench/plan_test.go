package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every variant of a point runs once per repetition before the next
// repetition, in reverse on odd ones; only the first repetition warms up.
func TestPlanInterleavesVariantsPointByPoint(t *testing.T) {
	plan := Settings{
		Steps: []int{1, 8}, Concurrency: []int{1, 4}, Variants: []Variant{Baseline, Plain, Dedup}, Reps: 2,
		Runs: 10, ConcurrentRuns: 100, FullSteps: 4, Warmup: 2,
	}.Plan()
	type row struct {
		k, c   int
		v      Variant
		rep    int
		warmup int
		runs   int
	}
	var got []row
	for _, s := range plan {
		got = append(got, row{s.Steps, s.Concurrency, s.Variant, s.Rep, s.Warmup, s.Runs})
	}
	assert.Equal(t, []row{
		{1, 1, Baseline, 0, 2, 10}, {1, 1, Plain, 0, 2, 10}, {1, 1, Dedup, 0, 2, 10},
		{1, 1, Dedup, 1, 0, 10}, {1, 1, Plain, 1, 0, 10}, {1, 1, Baseline, 1, 0, 10},
		{1, 4, Baseline, 0, 8, 100}, {1, 4, Plain, 0, 8, 100}, {1, 4, Dedup, 0, 8, 100},
		{1, 4, Dedup, 1, 0, 100}, {1, 4, Plain, 1, 0, 100}, {1, 4, Baseline, 1, 0, 100},
		// 8 steps: half the runs of a run of up to 4 steps.
		{8, 1, Baseline, 0, 2, 5}, {8, 1, Plain, 0, 2, 5}, {8, 1, Dedup, 0, 2, 5},
		{8, 1, Dedup, 1, 0, 5}, {8, 1, Plain, 1, 0, 5}, {8, 1, Baseline, 1, 0, 5},
		{8, 4, Baseline, 0, 8, 50}, {8, 4, Plain, 0, 8, 50}, {8, 4, Dedup, 0, 8, 50},
		{8, 4, Dedup, 1, 0, 50}, {8, 4, Plain, 1, 0, 50}, {8, 4, Baseline, 1, 0, 50},
	}, got)
}

func TestPlanMakesAtLeastOneRunPerWorker(t *testing.T) {
	plan := Settings{Steps: []int{100}, Concurrency: []int{32}, Variants: []Variant{Plain}, Reps: 1, Runs: 1, ConcurrentRuns: 64, FullSteps: 1}.Plan()
	assert.Equal(t, 32, plan[0].Runs)
}
