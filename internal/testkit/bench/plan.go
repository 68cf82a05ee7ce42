package bench

import (
	"fmt"
	"slices"
)

// Point is one load setting: K steps per run, C runs in flight.
type Point struct {
	Steps       int `json:"steps"`
	Concurrency int `json:"concurrency"`
}

func (p Point) String() string { return fmt.Sprintf("K=%d C=%d", p.Steps, p.Concurrency) }

// Section is one measurement: a point, a variant, which repetition of the
// pair it is (from 0), and how many runs to make.
type Section struct {
	Point
	Variant Variant
	Rep     int
	// Warmup runs are made and not measured, then Runs are measured.
	Warmup, Runs int
}

// Settings say what to measure and how much.
type Settings struct {
	Steps       []int
	Concurrency []int
	Variants    []Variant
	Reps        int
	// Runs and ConcurrentRuns are the measured runs per section at
	// concurrency 1 and above, for runs of up to FullSteps steps. Longer
	// runs are measured proportionally fewer times (the count falls as
	// 1/K), so that every section takes about as long.
	Runs, ConcurrentRuns, FullSteps int
	// Warmup is the unmeasured runs per worker before the first
	// repetition of each point and variant: they open the connections
	// and fill the interpreter's caches that later sections find ready.
	Warmup int
}

// Plan orders the measurements: point by point, and within a point every
// variant once per repetition before the next repetition, so that the
// numbers compared in one row are taken seconds, not minutes, apart. Odd
// repetitions run the variants in reverse, so that no variant always
// follows the heaviest one or always runs first.
func (s Settings) Plan() []Section {
	var plan []Section
	for _, k := range s.Steps {
		for _, c := range s.Concurrency {
			p := Point{Steps: k, Concurrency: c}
			for rep := range s.Reps {
				order := s.Variants
				if rep%2 == 1 {
					order = slices.Clone(order)
					slices.Reverse(order)
				}
				warmup := 0
				if rep == 0 {
					warmup = s.Warmup * c
				}
				for _, v := range order {
					plan = append(plan, Section{Point: p, Variant: v, Rep: rep, Warmup: warmup, Runs: s.runs(p)})
				}
			}
		}
	}
	return plan
}

// runs is the number of measured runs at p: at least one per worker.
func (s Settings) runs(p Point) int {
	n := s.Runs
	if p.Concurrency > 1 {
		n = s.ConcurrentRuns
	}
	if p.Steps > s.FullSteps {
		n = n * s.FullSteps / p.Steps
	}
	return max(n, p.Concurrency)
}
