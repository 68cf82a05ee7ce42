package bench

import (
	"cmp"
	"slices"
	"time"
)

// Row is one point and variant of the report, condensed from its
// repetitions.
type Row struct {
	Point
	Variant Variant `json:"variant"`
	// Runs is the number of measured runs per repetition.
	Runs int `json:"runs"`
	Reps int `json:"reps"`
	// The numbers of the median repetition by throughput (of an even
	// count, the better of the middle two).
	WorkflowsPerSec float64       `json:"workflowsPerSec"`
	StepsPerSec     float64       `json:"stepsPerSec"`
	P50             time.Duration `json:"p50Ns"`
	P99             time.Duration `json:"p99Ns"`
	// ThroughputRatio and P50Ratio compare with the baseline at the same
	// point (interpreted / hand-written): the median over repetitions of
	// the ratio to the baseline's measurement in the same repetition,
	// taken seconds apart, so that the machine's slower and faster
	// spells cancel out. 0 on the baseline's own row.
	ThroughputRatio float64 `json:"throughputRatio,omitempty"`
	P50Ratio        float64 `json:"p50Ratio,omitempty"`
	// Spread is (max - min) / max of workflows/s over the repetitions,
	// how much the machine's noise moved this number.
	Spread  float64 `json:"spread"`
	Journal Journal `json:"journal"`
	// CPU per step of the endpoint, of restate-server and of the load
	// generator, over the measured runs of the median repetition. They
	// share the machine's cores, so what one saves the others can use.
	EndpointCPUPerStep time.Duration `json:"endpointCPUPerStepNs"`
	ServerCPUPerStep   time.Duration `json:"serverCPUPerStepNs"`
	LoadCPUPerStep     time.Duration `json:"loadCPUPerStepNs"`
	// EndpointRSS is the endpoint's resident memory after the median
	// repetition, in bytes.
	EndpointRSS int64 `json:"endpointRSS"`
}

// Aggregate turns the results of a plan into rows: per point (in the
// order first measured) one row per variant (in the order of Variants).
func Aggregate(results []Result) []Row {
	type key struct {
		Point
		Variant
	}
	var points []Point
	groups := map[key][]Result{}
	for _, r := range results {
		if !slices.Contains(points, r.Point) {
			points = append(points, r.Point)
		}
		k := key{r.Point, r.Variant}
		groups[k] = append(groups[k], r)
	}
	var rows []Row
	for _, p := range points {
		base := groups[key{p, Baseline}]
		for _, v := range Variants {
			reps := groups[key{p, v}]
			if len(reps) == 0 {
				continue
			}
			row := condense(reps)
			if v != Baseline {
				row.ThroughputRatio = pairedRatio(reps, base, func(s Summary) float64 { return s.PerSecond })
				row.P50Ratio = pairedRatio(reps, base, func(s Summary) float64 { return float64(s.P50) })
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// condense reports the median repetition of one point and variant.
func condense(reps []Result) Row {
	byThroughput := slices.SortedFunc(slices.Values(reps), func(a, b Result) int {
		return cmp.Compare(a.Summary.PerSecond, b.Summary.PerSecond)
	})
	mid := byThroughput[len(byThroughput)/2]
	lowest, highest := byThroughput[0].Summary.PerSecond, byThroughput[len(byThroughput)-1].Summary.PerSecond
	sum := mid.Summary
	row := Row{
		Point:           mid.Point,
		Variant:         mid.Variant,
		Runs:            sum.Runs,
		Reps:            len(reps),
		WorkflowsPerSec: sum.PerSecond,
		StepsPerSec:     sum.PerSecond * float64(mid.Steps),
		P50:             sum.P50,
		P99:             sum.P99,
		Journal:         mid.Journal,
		EndpointRSS:     mid.Endpoint.RSS,
	}
	if highest > 0 {
		row.Spread = (highest - lowest) / highest
	}
	if steps := time.Duration(sum.Runs * mid.Steps); steps > 0 {
		row.EndpointCPUPerStep = mid.EndpointCPU / steps
		row.ServerCPUPerStep = mid.ServerCPU / steps
		row.LoadCPUPerStep = mid.LoadCPU / steps
	}
	return row
}

// pairedRatio is the median over the repetitions that both reps and base
// measured of metric(rep) / metric(base rep); 0 if there are none.
func pairedRatio(reps, base []Result, metric func(Summary) float64) float64 {
	var ratios []float64
	for _, r := range reps {
		for _, b := range base {
			if b.Rep == r.Rep && metric(b.Summary) > 0 {
				ratios = append(ratios, metric(r.Summary)/metric(b.Summary))
			}
		}
	}
	if len(ratios) == 0 {
		return 0
	}
	slices.Sort(ratios)
	n := len(ratios)
	return (ratios[(n-1)/2] + ratios[n/2]) / 2
}
