package interpreter_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/interpreter"
)

// blob returns a string of the given length: a step output of any size.
func blob(_ *activities.Context, in struct {
	Bytes int `json:"bytes"`
}) (string, error) {
	return strings.Repeat("x", in.Bytes), nil
}

// largestJournalEntry is the size of the largest journal entry of the
// run's invocations (the run and its children), which Restate must never
// be asked to take past its message limit.
func largestJournalEntry(t *testing.T, workflowID string) float64 {
	t.Helper()
	rows, err := restateServer.Query(context.Background(), `SELECT max(j.raw_length) AS largest FROM sys_journal j
		JOIN sys_invocation i ON j.id = i.id
		WHERE i.target_service_key = '`+workflowID+`' OR i.invoked_by_target LIKE '%/`+workflowID+`/%'`)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	largest, _ := rows[0]["largest"].(float64)
	return largest
}

// Every value the interpreter passes through Restate is checked against a
// limit below Restate's own (a warning at 10 MiB, a refusal at 32 MiB):
// what is too large fails the step, or is refused, with a message naming
// the step, the size, the limit and the option that sets it, and no side
// effect follows.
func TestPayloadLimits(t *testing.T) {
	const mb = 1_000_000 // under the 1 MiB step output limit
	steps := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"id": "b%d", "activity": "blob", "with": {"bytes": %d}},`, i, mb)
		}
		return b.String()
	}
	cases := []struct {
		name       string
		definition string
		input      any
		code       uint16
		messages   []string
	}{
		{
			name:       "run input",
			definition: `{"name": "big-input", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}`,
			input:      map[string]any{"pad": strings.Repeat("x", 1<<20)},
			code:       413,
			messages:   []string{"the input is 1048", "more than the limit of 1048576 bytes (interpreter.WithMaxInputSize)"},
		},
		{
			name: "activity output",
			definition: `{"name": "big-output", "steps": [
			  {"id": "big", "activity": "blob", "with": {"bytes": 2000000}},
			  {"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}`,
			code:     500,
			messages: []string{`step "big" (activity blob) failed: output_too_large: activity blob returned an output that is 2000002 bytes, more than the limit of 1048576 bytes (interpreter.WithMaxStepOutputSize)`},
		},
		{
			name:       "what a parallel step passes to its branches",
			definition: `{"name": "big-env", "steps": [` + steps(9) + `{"id": "fan", "parallel": {"branches": {"a": [{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}}}]}`,
			code:       500,
			messages:   []string{`step "fan" failed: output_too_large: what a parallel step passes to each of its child invocations`, "more than the limit of 8388608 bytes (interpreter.WithMaxMessageSize)"},
		},
		{
			name: "the outputs of a foreach group",
			definition: `{"name": "big-group", "steps": [
			  {"id": "each", "foreach": {"items": "1..10", "steps": [{"id": "b", "activity": "blob", "with": {"bytes": ` + fmt.Sprint(mb) + `}}]}},
			  {"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}`,
			code:     500,
			messages: []string{`output_too_large: the output of items 0 to 9 of step "each" is 10000`, "(interpreter.WithMaxMessageSize)"},
		},
		{
			name:       "the run output",
			definition: `{"name": "big-run-output", "steps": [` + steps(9) + `{"id": "last", "set": {"done": true}}]}`,
			code:       422,
			messages:   []string{"workflow big-run-output: the output is 9000", "(interpreter.WithMaxMessageSize)"},
		},
		{
			name:       "foreach items",
			definition: `{"name": "many-items", "steps": [{"id": "each", "foreach": {"items": "map(1..100001, #)", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}}]}`,
			code:       422,
			messages:   []string{`step "each"`, "100001 items, more than the limit of 100000 (interpreter.WithMaxForeachItems)"},
		},
		{
			name:       "a child run input",
			definition: `{"name": "big-child", "steps": [{"id": "child", "workflow": {"input": "${ repeat('xy', 550000) }", "definition": {"name": "c", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}}}]}`,
			code:       500,
			messages:   []string{`step "child" failed: output_too_large: the child run's input is 1100002 bytes, more than the limit of 1048576 bytes (interpreter.WithMaxInputSize)`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := uniqueID(t)
			before := providers.Ledger().Totals.Calls
			_, err := runWorkflow(t, id, []byte(c.definition), c.input)
			failure := terminal(t, err)
			assert.EqualValues(t, c.code, failure.Code(), failure.Message())
			for _, m := range c.messages {
				assert.Contains(t, failure.Message(), m)
			}
			assert.Equal(t, before, providers.Ledger().Totals.Calls, "no provider was called")
			assert.LessOrEqual(t, largestJournalEntry(t, id), float64(interpreter.DefaultMaxMessageSize+64<<10),
				"no journal entry goes past the message limit")
		})
	}
}

// A catch handler can take output_too_large like any other code.
func TestOutputTooLargeIsCaught(t *testing.T) {
	definition := []byte(`{"name": "catch-big", "steps": [
	  {"id": "big", "activity": "blob", "with": {"bytes": 2000000},
	   "catch": [{"errors": ["output_too_large"], "steps": [{"id": "small", "set": {"v": 1}}, {"id": "note", "activity": "inspect", "with": "${ error.code }"}]}]}
	]}`)
	out, err := runWorkflow(t, uniqueID(t), definition, nil)
	require.NoError(t, err)
	assert.Equal(t, "output_too_large", decode(t, out)["big"].(map[string]any)["note"].(map[string]any)["echo"])
}

func TestSignalOverTheLimitIsRefused(t *testing.T) {
	id := uniqueID(t)
	definition := []byte(`{"name": "big-signal", "steps": [
	  {"id": "approval", "await": {"signal": "approve"}},
	  {"id": "after", "activity": "inspect", "with": "${ steps.approval.output.by }"}
	]}`)
	result := start(t, id, definition, nil)
	waitFor(t, "the run starts", func() bool {
		err := signal(t, id, "nope", nil)
		return err != nil && strings.Contains(err.Error(), "it awaits: approve")
	})
	err := signal(t, id, "approve", map[string]any{"by": "ana", "pad": strings.Repeat("x", 1<<20)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `signal "approve": the payload is 1048`)
	assert.Contains(t, err.Error(), "more than the limit of 1048576 bytes (interpreter.WithMaxSignalSize)")
	// The refused signal was not delivered: a payload within the limit is.
	require.NoError(t, signal(t, id, "approve", map[string]any{"by": "ana"}))
	out, err := result()
	require.NoError(t, err)
	assert.Equal(t, "ana", decode(t, out)["after"].(map[string]any)["echo"])
}

// An expression that would loop or allocate without bound fails its step
// with a terminal error naming the step and the expression, before
// anything is called, and the endpoint goes on serving.
func TestHostileExpressionsFailTheStepNotTheEndpoint(t *testing.T) {
	hostile := map[string]string{
		"doubling a string":     `{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "${ reduce(1..64, #acc + #acc, 'x') }"}}`,
		"repeat without bound":  `{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "${ repeat(repeat('x', 1000000), 1000000) }"}}`,
		"a loop over a loop":    `{"id": "charge", "activity": "charge", "when": "let r = 1..1000; all(r, all(r, all(r, # > 0)))", "with": {"amount": 1, "customer": "c"}}`,
		"a billion items":       `{"id": "each", "foreach": {"items": "1..1000000000", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}}`,
		"shared parts as JSON":  `{"id": "charge", "activity": "charge", "dedup": "let a = 1..999; let b = map(a, a); toJSON(map(a, b))", "with": {"amount": 1, "customer": "c"}}`,
		"nested map and filter": `{"id": "route", "switch": {"cases": [{"when": "let r = 1..1000; len(map(r, filter(r, map(r, # * 2) != []))) > 0", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}]}}`,
	}
	for name, step := range hostile {
		t.Run(name, func(t *testing.T) {
			before := providers.Ledger().Totals.Calls
			started := time.Now()
			_, err := runWorkflow(t, uniqueID(t), []byte(`{"name": "hostile", "steps": [`+step+`]}`), nil)
			failure := terminal(t, err)
			assert.EqualValues(t, 422, failure.Code())
			assert.Contains(t, failure.Message(), "evaluation limit exceeded")
			assert.Regexp(t, `step "(charge|each|route)"`, failure.Message())
			assert.Equal(t, before, providers.Ledger().Totals.Calls, "no provider was called")
			assert.Less(t, time.Since(started), 20*time.Second)
		})
	}
	// The endpoint still runs workflows.
	id := uniqueID(t)
	_, err := runWorkflow(t, id, readWorkflow(t, "order-fulfillment.json"), orderInput(id))
	require.NoError(t, err)
}
