package dsl_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

// definition generates a valid definition with n activity steps, each
// rendering a template with typed and interpolated expressions that use
// the input and the previous step.
func definition(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"name": "bench", "input": {"type": "object", "required": ["orderId"]}, "steps": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		prev := "input.orderId"
		if i > 0 {
			prev = fmt.Sprintf("steps.s%d.output.id", i-1)
		}
		fmt.Fprintf(&b, `{"id": "s%d", "activity": "http", "when": "input.amount > %d",
			"with": {"amount": "${ input.amount * 2 }", "ref": "${ %s }", "memo": "order ${ input.orderId } step %d", "currency": "usd", "tags": ["a", "b"]},
			"retry": {"maxAttempts": 3, "initialInterval": "100ms", "maxInterval": "1s"}}`, i, i, prev, i)
	}
	b.WriteString(`], "output": {"last": "${ steps.s0.output }"}}`)
	return []byte(b.String())
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		data := definition(n)
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dsl.Load("bench.json", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTemplateEval(b *testing.B) {
	prog, err := dsl.Load("bench.json", definition(2))
	if err != nil {
		b.Fatal(err)
	}
	step := prog.Steps[1].(*dsl.ActivityStep)
	env := &dsl.Env{
		Input: map[string]any{"orderId": "A-1", "amount": 12.5},
		Steps: map[string]any{"s0": map[string]any{"output": map[string]any{"id": "x"}}},
	}
	b.Run("with", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := step.With.Eval(env); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("when", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := step.When.EvalBool(env); err != nil {
				b.Fatal(err)
			}
		}
	})
}
