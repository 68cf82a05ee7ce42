package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/rea"
)

const badDefinition = `{
  "name": "bad",
  "steps": [
    {"id": "charge", "activity": "chrage"},
    {"id": "charge", "activity": "email", "with": {"to": "${ steps.later.output.to }"}},
    {"id": "later", "activity": "ship", "retry": {"initialInterval": "soon"}}
  ]
}`

func TestValidate(t *testing.T) {
	custom := writeFile(t, "custom.json", `{"name": "custom", "steps": [{"id": "score", "activity": "fraudScore"}]}`)
	big := writeFile(t, "big.json", `{"name": "big", "description": "`+strings.Repeat("x", 1<<20)+`", "steps": []}`)
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{
			name:   "the examples",
			args:   []string{"validate", "../../workflows/order-fulfillment.json", "../../workflows/order-cancellation.json", "../../workflows/subscription-renewal.json"},
			code:   0,
			stdout: []string{"order-fulfillment.json: ok (order-fulfillment 1.0.0, 3 steps, sha256:", "order-cancellation.json: ok", "subscription-renewal.json: ok"},
		},
		{
			name: "every problem at once, with its place",
			args: []string{"validate", writeFile(t, "bad.json", badDefinition)},
			code: 1,
			stderr: []string{
				`bad.json:4:34: /steps/0/activity: unknown activity "chrage"`,
				`/steps/1/id: duplicate step id "charge"`,
				`/steps/1/with/to:`, `"later"`,
				`/steps/2/retry/initialInterval:`,
				"    |", "^",
				"1 of 1 definitions are invalid",
			},
		},
		{name: "custom activities are named on the command line", args: []string{"validate", "--activities", "fraudScore", custom}, code: 0, stdout: []string{"custom.json: ok"}},
		{name: "unknown custom activity", args: []string{"validate", custom}, code: 1, stderr: []string{`unknown activity "fraudScore"`}},
		{name: "over the size limit", args: []string{"validate", big}, code: 1, stderr: []string{"more than the limit of 1048576 bytes"}},
		{name: "missing file", args: []string{"validate", "nope.json"}, code: 1, stderr: []string{"nope.json"}},
		{name: "no file", args: []string{"validate"}, code: 2, stderr: []string{"name at least one definition file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reaflow(t, c.args...)
			assert.Equal(t, c.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			for _, s := range c.stdout {
				assert.Contains(t, r.stdout, s)
			}
			for _, s := range c.stderr {
				assert.Contains(t, r.stderr, s)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{name: "no command", args: nil, code: 2, stderr: "Commands:"},
		{name: "help on a command", args: []string{"help", "status"}, code: 0, stderr: "reaflow status [--json]"},
		{name: "unknown command", args: []string{"sumbit"}, code: 2, stderr: `unknown command "sumbit"; did you mean "submit"?`},
		{name: "help", args: []string{"--help"}, code: 0, stdout: "submit"},
		{name: "command help has an example", args: []string{"submit", "--help"}, code: 0, stderr: "Example:\n  reaflow submit"},
		{name: "unknown flag", args: []string{"submit", "--wiat", "x.json"}, code: 2, stderr: "flag provided but not defined: -wiat; did you mean --wait?"},
		{name: "bad id", args: []string{"submit", "../../workflows/order-fulfillment.json", "--input", "@../../workflows/inputs/order-fulfillment.json", "--id", "a/b"}, code: 2, stderr: `the id "a/b" has the character '/'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reaflow(t, c.args...)
			assert.Equal(t, c.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, c.stderr)
			assert.Contains(t, r.stdout, c.stdout)
		})
	}
}

// Nothing is submitted when the definition or the input is bad.
func TestSubmitRefusesBadInput(t *testing.T) {
	order := "../../workflows/order-fulfillment.json"
	cases := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{name: "invalid definition", args: []string{writeFile(t, "bad.json", badDefinition)}, stderr: []string{`unknown activity "chrage"`, "nothing was submitted"}},
		{name: "input is not JSON", args: []string{order, "--input", "{orderId: 1}"}, stderr: []string{"--input is not valid JSON"}},
		{name: "input fails the schema", args: []string{order, "--input", `{"orderId": "o-1", "customerId": "c", "amount": -1, "address": "a", "email": "a@example.com"}`},
			stderr: []string{"input:1:", "/amount: must be > 0", "nothing was submitted"}},
		{name: "input file missing", args: []string{order, "--input", "@missing.json"}, stderr: []string{"missing.json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := uniqueID(t)
			r := reaflow(t, append([]string{"submit", "--id", id}, c.args...)...)
			assert.Equal(t, 1, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			for _, s := range c.stderr {
				assert.Contains(t, r.stderr, s)
			}
			_, err := runstatus.Fetch(t.Context(), stack.Restate, id)
			assert.ErrorIs(t, err, runstatus.ErrNotFound, "nothing reached Restate")
		})
	}
}

func TestSubmitWaitThenStatusAndOutput(t *testing.T) {
	id := uniqueID(t)
	r := reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", "@../../workflows/inputs/order-fulfillment.json", "--id", id, "--wait")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "submitted order-fulfillment 1.0.0 as "+id)
	for _, step := range []string{"charge", "ship", "notify"} {
		assert.Regexp(t, `(?m)^  done +`+step+`\b`, r.stdout)
	}
	assert.Contains(t, r.stdout, `"tracking": "TRK`)

	r = reaflow(t, "status", id)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^`+id+`  order-fulfillment 1.0.0  done`, r.stdout)
	assert.Regexp(t, `(?m)^  done +notify +activity email$`, r.stdout)

	r = reaflow(t, "status", "--json", id)
	require.Equal(t, 0, r.code, r.stderr)
	var run runstatus.Run
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &run))
	assert.Equal(t, runstatus.Done, run.State)
	assert.Equal(t, []runstatus.StepStatus{
		{ID: "charge", Activity: "charge", State: runstatus.Done},
		{ID: "ship", Activity: "ship", State: runstatus.Done},
		{ID: "notify", Activity: "email", State: runstatus.Done},
	}, run.Steps)

	r = reaflow(t, "output", id)
	require.Equal(t, 0, r.code, r.stderr)
	var out map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Equal(t, "order-1001", out["orderId"])

	// Submitting the same id again attaches to the run instead of starting
	// a second one.
	r = reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", "@../../workflows/inputs/order-fulfillment.json", "--id", id, "--wait")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "already runs as "+id)
	assert.Contains(t, r.stdout, `"tracking": "`+out["tracking"]+`"`)
}

func TestSubmitWaitReportsTheFailingStep(t *testing.T) {
	id := uniqueID(t)
	input := `{"orderId": "o-` + id + `", "customerId": "cus_declined_` + id + `", "amount": 5, "address": "1 Loop Road", "email": "a@example.com"}`
	r := reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", input, "--id", id, "--wait")
	assert.Equal(t, 1, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Regexp(t, `(?m)^  failed +charge\b`, r.stdout)
	assert.Contains(t, r.stderr, `step "charge" (activity charge) failed`)
	assert.Contains(t, r.stderr, "card_declined")

	r = reaflow(t, "status", id)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `(?m)^  failed +charge\b`, r.stdout)
	assert.Regexp(t, `(?m)^  pending +ship\b`, r.stdout)

	r = reaflow(t, "output", id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "card_declined")
}

// With no Restate at the address, the CLI says how to get one.
func TestUnreachableRestate(t *testing.T) {
	for _, args := range [][]string{
		{"submit", "../../workflows/order-fulfillment.json", "--input", "@../../workflows/inputs/order-fulfillment.json", "--ingress", "http://127.0.0.1:1"},
		{"output", "some-run", "--ingress", "http://127.0.0.1:1"},
		{"status", "some-run", "--admin", "http://127.0.0.1:1"},
	} {
		r := reaflow(t, args...)
		assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "is not reachable (start one with 'reaflow dev'", args)
	}
}

// serve names every provider it has no URL for, so a missing setting shows
// before a step waits on it.
func TestServeNamesMissingProviders(t *testing.T) {
	f := &providerFlags{payments: "http://127.0.0.1:4010/payments"}
	env := map[string]string{"REAFLOW_EMAIL_URL": "http://127.0.0.1:4010/email"}
	assert.Equal(t, []string{"no --shipping-url or REAFLOW_SHIPPING_URL", "no --travel-url or REAFLOW_TRAVEL_URL"}, f.missing(func(k string) string { return env[k] }))
	f = &providerFlags{payments: "p", shipping: "s", email: "e", travel: "t"}
	assert.Empty(t, f.missing(func(string) string { return "" }))
	assert.Len(t, f.options(), 4)
}

func TestStatusOfUnknownRun(t *testing.T) {
	r := reaflow(t, "status", "no-such-run")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `no such run "no-such-run"`)
	r = reaflow(t, "output", "no-such-run")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `no run with id "no-such-run"`)
}

// While Restate retries a step, status shows it retrying with its failed
// attempts and the last error; the run completes once the provider heals.
func TestStatusShowsARetryingStep(t *testing.T) {
	id := uniqueID(t)
	definition := writeFile(t, "flaky.json", `{"name": "flaky", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 3, "customer": "cus_flaky"},
	   "retry": {"maxAttempts": 30, "initialInterval": "200ms", "maxInterval": "200ms", "backoffFactor": 1}}
	]}`)
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: rea.IdempotencyKey(id, rea.Step("charge")), Times: 6, Status: 503}))
	r := reaflow(t, "submit", definition, "--id", id)
	require.Equal(t, 0, r.code, r.stderr)

	var retrying runstatus.StepStatus
	require.Eventually(t, func() bool {
		run, err := runstatus.Fetch(t.Context(), stack.Restate, id)
		if err != nil || len(run.Steps) != 1 {
			return false
		}
		retrying = run.Steps[0]
		return retrying.State == runstatus.Retrying
	}, 10*time.Second, 50*time.Millisecond)
	assert.Positive(t, retrying.Attempts)
	assert.Contains(t, retrying.Error, "503")

	r = reaflow(t, "status", "--watch", id)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `(?m)^  done +charge\b`, r.stdout)
}
