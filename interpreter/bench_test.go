package interpreter

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
)

// noopJournal answers every activity call at once with the same output,
// so that a benchmark measures the interpreter's own work per step:
// guards, templates, key derivation, encoding the input and decoding the
// output.
type noopJournal struct{ output json.RawMessage }

func (j noopJournal) run(activityCall) (json.RawMessage, error)           { return j.output, nil }
func (j noopJournal) dedup(string, activityCall) (json.RawMessage, error) { return j.output, nil }
func (j noopJournal) callback(activityCall) (json.RawMessage, error)      { return j.output, nil }
func (j noopJournal) sleep(string, time.Duration) error                   { return nil }
func (j noopJournal) now() (time.Time, error)                             { return time.Time{}, nil }
func (j noopJournal) signal(string) (json.RawMessage, error)              { return j.output, nil }
func (j noopJournal) deadline(string, time.Duration) func()               { return func() {} }
func (j noopJournal) interrupted() error                                  { return nil }
func (j noopJournal) claim(string) error                                  { return nil }
func (j noopJournal) child(string, RunRequest, bool) (json.RawMessage, error) {
	return j.output, nil
}
func (j noopJournal) blocks([]blockRequest, bool) ([]blockResult, []int, error) {
	panic("the benchmarks have no parallel or foreach steps")
}

// benchDefinition returns a definition of k activity steps; templated steps
// have a when guard and templates reading the input and the previous step.
func benchDefinition(k int, templated bool) string {
	steps := make([]string, k)
	for i := range steps {
		id := fmt.Sprintf("s%d", i+1)
		switch {
		case !templated:
			steps[i] = fmt.Sprintf(`{"id": %q, "activity": "noop", "with": {"order": "o-1", "amount": 12.5}}`, id)
		case i == 0:
			steps[i] = fmt.Sprintf(`{"id": %q, "activity": "noop", "when": "input.amount > 0", "with": {"order": "${ input.orderId }", "amount": "${ input.amount }"}}`, id)
		default:
			steps[i] = fmt.Sprintf(`{"id": %q, "activity": "noop", "when": "input.amount > 0", "with": {"order": "order ${ input.orderId }", "previous": "${ steps.s%d.output.n }"}}`, id, i)
		}
	}
	return `{"name": "bench", "steps": [` + strings.Join(steps, ",") + `]}`
}

func BenchmarkWalk(b *testing.B) {
	reg := activities.NewRegistry()
	activities.Register(reg, "noop", func(*activities.Context, any) (any, error) { return nil, nil })
	in := &interpreter{registry: reg, cfg: config{defaultRetry: DefaultRetry, limits: defaultLimits}}
	j := noopJournal{output: json.RawMessage(`{"ok": true, "n": 1}`)}
	input := map[string]any{"orderId": "o-1", "amount": 12.5}
	for _, templated := range []bool{false, true} {
		for _, k := range []int{1, 9, 27} {
			name := fmt.Sprintf("plain/steps=%d", k)
			if templated {
				name = fmt.Sprintf("templated/steps=%d", k)
			}
			prog, err := dsl.Load("bench.json", []byte(benchDefinition(k, templated)), dsl.WithActivities(reg.Has))
			if err != nil {
				b.Fatal(err)
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := newRunner(in, j, prog, "wf-1", input).walk(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/step")
			})
		}
	}
}
