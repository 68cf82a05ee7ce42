package bench

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/reaflow/reaflow/activities"
)

// Variant is one way of running the K-step workload.
type Variant string

const (
	// Baseline is the hand-written workflow (BaselineService).
	Baseline Variant = "baseline"
	// Plain definitions call the activity with a constant input.
	Plain Variant = "plain"
	// Templated definitions guard every step with a true `when` and build
	// its input from the run's input and the previous step's output.
	Templated Variant = "templated"
	// Dedup definitions give every step a dedup key unique to the run, so
	// every step goes through the dedup object and really runs.
	Dedup Variant = "dedup"
)

// Variants lists every variant, the baseline first.
var Variants = []Variant{Baseline, Plain, Templated, Dedup}

// ParseVariant returns the variant named s.
func ParseVariant(s string) (Variant, error) {
	for _, v := range Variants {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown variant %q (want one of %v)", s, Variants)
}

// NoopActivity is the name definitions call Noop by.
const NoopActivity = "noop"

// Order is the input of every run.
type Order struct {
	Order  string  `json:"order"`
	Amount float64 `json:"amount"`
}

// SampleOrder is the input the harness sends.
var SampleOrder = Order{Order: "A-1001", Amount: 42.5}

// NoopInput is what every step sends the activity: the order, and a
// reference to what came before (the order id for the first step, the
// previous step's output after that), so the templated variant has
// something to chain.
type NoopInput struct {
	Order  string  `json:"order"`
	Amount float64 `json:"amount"`
	Ref    string  `json:"ref"`
}

// NoopOutput names the step that produced it.
type NoopOutput struct {
	Ref string `json:"ref"`
}

// Noop is the activity of every step. It does nothing, so a measurement
// sees only the cost of reaching it and journaling its result.
func Noop(ctx *activities.Context, in NoopInput) (NoopOutput, error) {
	return NoopOutput{Ref: ctx.StepID}, nil
}

// Registry returns a registry holding Noop alone: no provider is called.
func Registry() *activities.Registry {
	reg := activities.NewRegistry()
	activities.Register(reg, NoopActivity, Noop, activities.WithDescription("does nothing; for benchmarks"))
	return reg
}

// StepID names the i-th step (from 1) in every variant, as the journal
// shows it.
func StepID(i int) string { return fmt.Sprintf("s%d", i) }

// stepInput is the input of step i (from 1) of a run of order: the
// constant that the plain variant writes out and the templated variant
// computes.
func stepInput(order Order, i int) NoopInput {
	ref := order.Order
	if i > 1 {
		ref = StepID(i - 1)
	}
	return NoopInput{Order: order.Order, Amount: order.Amount, Ref: ref}
}

// stepDef is one step of a generated definition, its fields in the order
// people write them.
type stepDef struct {
	ID       string `json:"id"`
	When     string `json:"when,omitempty"`
	Activity string `json:"activity"`
	With     any    `json:"with"`
	Dedup    string `json:"dedup,omitempty"`
}

// Definition returns the JSON definition that runs k steps of an
// interpreted variant for SampleOrder. It has no output mapping, so a run
// returns each step's output by step id, as the baseline does.
func Definition(v Variant, k int) ([]byte, error) {
	if v == Baseline {
		return nil, fmt.Errorf("the %s variant is hand-written, it has no definition", v)
	}
	steps := make([]stepDef, k)
	for i := 1; i <= k; i++ {
		s := stepDef{ID: StepID(i), Activity: NoopActivity, With: stepInput(SampleOrder, i)}
		switch v {
		case Templated:
			ref := "${ input.order }"
			if i > 1 {
				ref = fmt.Sprintf("${ steps.%s.output.ref }", StepID(i-1))
			}
			s.When = "input.amount > 0"
			s.With = map[string]string{"order": "${ input.order }", "amount": "${ input.amount }", "ref": ref}
		case Dedup:
			s.Dedup = fmt.Sprintf("workflow.id + ':%s'", s.ID)
		}
		steps[i-1] = s
	}
	def := struct {
		Name  string    `json:"name"`
		Steps []stepDef `json:"steps"`
	}{Name: definitionName(v, k), Steps: steps}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Keep `>` readable in the `when` guards.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(def); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func definitionName(v Variant, k int) string { return fmt.Sprintf("bench-%s-k%d", v, k) }
