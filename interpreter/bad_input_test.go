package interpreter_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/restatedev/sdk-go/ingress"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

// The server refuses bad definitions and inputs with a terminal 400 before
// any activity runs, naming where the problem is.
func TestBadInputIsRefusedBeforeAnySideEffect(t *testing.T) {
	order := readWorkflow(t, "order-fulfillment.json")
	cases := []struct {
		name       string
		definition string
		input      any
		code       uint16
		messages   []string
	}{
		{
			name:       "malformed JSON",
			definition: `{"name": "x", "steps": [`,
			code:       400,
			messages:   []string{"invalid definition", ":1:"},
		},
		{
			name: "unknown activity and duplicate id together",
			definition: `{"name": "x", "steps": [
			  {"id": "a", "activity": "charge", "with": {"amount": 1, "customer": "c"}},
			  {"id": "a", "activity": "chrage"}
			]}`,
			code:     400,
			messages: []string{`unknown activity "chrage"`, "/steps/1/activity", "/steps/1/id", ":3:"},
		},
		{
			name: "forward reference",
			definition: `{"name": "x", "steps": [
			  {"id": "a", "activity": "charge", "with": {"amount": "${ steps.b.output.x }", "customer": "c"}},
			  {"id": "b", "activity": "inspect"}
			]}`,
			code:     400,
			messages: []string{"/steps/0/with/amount", `"b"`},
		},
		{
			name:       "schema violation: a step with two kinds",
			definition: `{"name": "x", "steps": [{"id": "a", "activity": "charge", "set": {"v": 1}}]}`,
			code:       400,
			messages:   []string{"/steps/0", "exactly one of"},
		},
		{
			name:       "over the size limit",
			definition: `{"name": "x", "description": "` + strings.Repeat("x", 1<<20) + `", "steps": []}`,
			code:       400,
			messages:   []string{"more than the limit of 1048576 bytes"},
		},
		{
			name:       "bad expression",
			definition: `{"name": "x", "steps": [{"id": "a", "when": "input.n >", "activity": "charge", "with": {"amount": 1, "customer": "c"}}]}`,
			code:       400,
			messages:   []string{"/steps/0/when"},
		},
		{
			name:       "input fails the input schema",
			definition: string(order),
			input:      map[string]any{"orderId": "o-1", "amount": -3},
			code:       400,
			messages:   []string{"invalid input for order-fulfillment", "/amount"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := uniqueID(t)
			before := providers.Ledger().Totals.Calls
			_, err := runWorkflow(t, id, []byte(c.definition), c.input)
			failure := terminal(t, err)
			assert.EqualValues(t, c.code, failure.Code())
			for _, m := range c.messages {
				assert.Contains(t, failure.Message(), m)
			}
			assert.Equal(t, before, providers.Ledger().Totals.Calls, "no provider was called")
			// A refused run is over and keeps its failure.
			_, again := ingress.WorkflowHandle[json.RawMessage](client, interpreter.WorkflowService, id).Output(context.Background())
			assert.Equal(t, failure.Message(), terminal(t, again).Message())
		})
	}
}

// An expression that fails at run time ends the run with a terminal error
// that names the step and the expression.
func TestRuntimeExpressionErrorNamesStepAndExpression(t *testing.T) {
	definition := []byte(`{"name": "x", "steps": [
	  {"id": "first", "activity": "inspect", "with": 1},
	  {"id": "second", "activity": "inspect", "with": {"total": "${ input.price * input.quantity }"}},
	  {"id": "third", "activity": "inspect"}
	]}`)
	id := uniqueID(t)
	_, err := runWorkflow(t, id, definition, map[string]any{"price": 3, "quantity": "two"})
	failure := terminal(t, err)
	assert.EqualValues(t, 422, failure.Code())
	assert.Contains(t, failure.Message(), `step "second"`)
	assert.Contains(t, failure.Message(), "input.price * input.quantity")
	assert.Contains(t, failure.Message(), "/steps/1/with/total")
	require.NotContains(t, failure.Message(), "third")
}

// An empty dedup key would make unrelated runs share one record; the step
// fails before calling anything.
func TestEmptyDedupKeyIsRefused(t *testing.T) {
	definition := []byte(`{"name": "x", "steps": [
	  {"id": "ship", "activity": "ship", "with": {"orderId": "o", "address": "a"}, "dedup": "input.key ?? ''"}
	]}`)
	before := providers.Ledger().Totals.Calls
	_, err := runWorkflow(t, uniqueID(t), definition, map[string]any{})
	failure := terminal(t, err)
	assert.EqualValues(t, 422, failure.Code())
	assert.Contains(t, failure.Message(), "the key is empty")
	assert.Equal(t, before, providers.Ledger().Totals.Calls)
}
