package scenario

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
)

// load loads a scenario file as if it were testdata/case.test.json, next
// to testdata/shop.json.
func load(t *testing.T, text string) (*File, error) {
	t.Helper()
	return Load("testdata/case.test.json", []byte(text))
}

func TestLoad(t *testing.T) {
	f, err := load(t, `{
  "definition": "shop.json",
  "mocks": {
    "activities": { "charge": { "output": { "id": "ch_${ input.amount }" } }, "ship": { "output": 1 } },
    "steps": { "pack": { "latency": "5ms" }, "send": { "output": "child steps are mocked by id too" } }
  },
  "scenarios": [
    { "name": "Happy path!", "inputFile": "input.json",
      "mocks": { "activities": { "ship": { "failAttempts": 2, "output": 2 } } },
      "signals": [ { "name": "approve", "after": "charge" } ],
      "callbacks": [ { "step": "sign", "resolve": { "ok": true } } ],
      "expect": { "steps": ["charge", "ship", ["pack[1]", "pack[0]"]], "keys": { "ship": { "dedup": "ship:o-1" } } } },
    { "name": "declined", "id": "run-7", "input": { "orderId": "o-2" }, "timeout": "3s",
      "expect": { "error": { "code": "card_declined" } },
      "redrive": { "from": "ship", "mocks": { "steps": { "charge": { "output": "ok" } } }, "expect": { "steps": ["charge", "ship"] } } }
  ]
}`)
	require.NoError(t, err)
	assert.Equal(t, "testdata/shop.json", f.DefinitionPath)
	require.Len(t, f.Scenarios, 2)

	happy, declined := f.Scenarios[0], f.Scenarios[1]
	assert.Equal(t, "shop-happy-path", happy.RunID, "the default run id is stable, so keys can be written down")
	assert.JSONEq(t, `{"orderId": "o-1"}`, string(happy.Input))
	assert.Equal(t, DefaultTimeout, happy.Timeout)
	assert.Equal(t, 2, happy.mocks.activities["ship"].FailAttempts, "a scenario's mock replaces the file's")
	assert.NotNil(t, happy.mocks.activities["charge"].Output, "the file's other mocks stay")
	assert.Equal(t, 5*time.Millisecond, happy.mocks.steps["pack"].Latency)
	assert.Equal(t, []Signal{{Name: "approve", Payload: json.RawMessage("null"), After: "charge"}}, happy.Signals)
	assert.Equal(t, "completed", happy.Expect.Status)
	assert.Equal(t, Sequence{{"charge"}, {"ship"}, {"pack[1]", "pack[0]"}}, happy.Expect.Steps)
	assert.Equal(t, map[string]KeyExpect{"ship": {Dedup: "ship:o-1"}}, happy.Expect.Keys)

	assert.Equal(t, "run-7", declined.RunID)
	assert.Equal(t, 3*time.Second, declined.Timeout)
	assert.Equal(t, "failed", declined.Expect.Status, "an expected error implies a failed run")
	assert.Equal(t, "card_declined", *declined.Expect.ErrorCode)
	assert.Nil(t, declined.Expect.Steps, "steps not given are not checked")
	require.Nil(t, happy.Redrive)
	require.NotNil(t, declined.Redrive)
	assert.Equal(t, "ship", declined.Redrive.From)
	assert.Equal(t, "completed", declined.Redrive.Expect.Status, "a redrive is expected to complete")
	assert.Equal(t, Sequence{{"charge"}, {"ship"}}, declined.Redrive.Expect.Steps)
	assert.NotNil(t, declined.Redrive.mocks.steps["charge"].Output, "the redrive's mock replaces the scenario's")
	assert.NotNil(t, declined.Redrive.mocks.activities["charge"].Output, "the scenario's other mocks stay")

	env, err := templateEnv("w", json.RawMessage(`{"amount": 10}`))
	require.NoError(t, err)
	out, err := happy.mocks.activities["charge"].Output.Eval(env)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": "ch_10"}, out, "mock outputs are templates over the activity's input")
}

// TestLoadErrors checks that every problem of a scenario file is found at
// once and located by line:column and pointer, as dsl locates problems.
func TestLoadErrors(t *testing.T) {
	const head = `{"definition": "shop.json", "scenarios": [`
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"syntax", `{"definition": "shop.json",, }`,
			[]string{`case.test.json:1:28: invalid JSON: invalid character ',' looking for beginning of object key string`}},
		{"duplicate key", `{"definition": "shop.json", "definition": "x"}`,
			[]string{`case.test.json:1:29: duplicate key "definition" (first at line 1)`}},
		{"schema", `{"definitions": "shop.json", "scenarios": []}`,
			[]string{
				`case.test.json:1:1: missing required property "definition"`,
				`case.test.json:1:2: /definitions: unknown property "definitions"; allowed: definition, description, mocks, scenarios`,
				`case.test.json:1:43: /scenarios: minimum 1 items required, but found 0 items`,
			}},
		{"step name", head + `{"name": "a", "expect": {"steps": ["ship/"]}}]}`,
			[]string{`case.test.json:1:78: /scenarios/0/expect/steps/0: a step name is a step id, with [index] for a foreach item and childStep/ for a step of a child run, e.g. ship[2]`}},
		{"wrong type in a group", head + `{"name": "a", "expect": {"steps": [7]}}]}`,
			[]string{`case.test.json:1:78: /scenarios/0/expect/steps/0: expected string or array, got number`}},
		{"unknown definition", `{"definition": "nope.json", "scenarios": [{"name": "a"}]}`,
			[]string{`case.test.json:1:16: /definition: cannot read the definition: open testdata/nope.json: no such file or directory`}},
		{"input", head + `{"name": "a", "input": {"orderId": 1}}]}`,
			[]string{`case.test.json:1:78: /scenarios/0/input/orderId: expected string, got number`}},
		{"no input", head + `{"name": "a"}]}`,
			[]string{`case.test.json:1:43: /scenarios/0: the scenario has no input, and shop.json needs one: give input or inputFile`}},
		{"input file", head + `{"name": "a", "inputFile": "shop.json"}]}`,
			[]string{`case.test.json:1:70: /scenarios/0/inputFile: testdata/shop.json:1:1: : missing required property "orderId"`}},
		{"mocks", `{"definition": "shop.json", "mocks": {"activities": {"chrage": {}}, "steps": {"approval": {}, "pack": {"output": "${ nope }"}}, "compensations": {"ship": {}}}, "scenarios": [{"name": "a", "input": {"orderId": "o"}}]}`,
			[]string{
				`case.test.json:1:54: /mocks/activities/chrage: shop.json calls no activity "chrage"; it calls: charge, email, pack, refund, ship, sign`,
				`case.test.json:1:79: /mocks/steps/approval: step "approval" is not an activity step: only activity calls are mocked and observed`,
				`case.test.json:1:114: /mocks/steps/pack/output: unknown name nope`,
				`case.test.json:1:147: /mocks/compensations/ship: step "ship" has no compensate block`,
			}},
		{"signals and callbacks", head + `{"name": "a", "input": {"orderId": "o"}, "signals": [{"name": "go", "after": "notify/items/send"}], "callbacks": [{"step": "charge", "resolve": 1, "reject": "no"}]}]}`,
			[]string{
				`case.test.json:1:105: /scenarios/0/signals/0/name: shop.json awaits no signal "go"; it awaits: approve`,
				`case.test.json:1:120: /scenarios/0/signals/0/after: the child definition of step "notify" has no workflow step "items": a name with / is a step of a child run, childStep/step (foreach items are step[index])`,
				`case.test.json:1:157: /scenarios/0/callbacks/0: a callback needs exactly one of resolve (a value) or reject (a message)`,
				`case.test.json:1:166: /scenarios/0/callbacks/0/step: step "charge" is not a callback step ("callback": true)`,
			}},
		{"expectations", head + `{"name": "a", "input": {"orderId": "o"}, "expect": {"status": "failed", "output": 1, "compensations": ["ship"], "keys": {"charge": {"dedup": "k"}}, "attempts": {"nope": 1}}}]}`,
			[]string{
				`case.test.json:1:105: /scenarios/0/expect/status: a failed run has no output: drop output and outputIncludes, or expect "completed"`,
				`case.test.json:1:146: /scenarios/0/expect/compensations/0: step "ship" has no compensate block, so it is never compensated`,
				`case.test.json:1:184: /scenarios/0/expect/keys/charge/dedup: step "charge" has no dedup key: its key derives from the run id and the step`,
				`case.test.json:1:204: /scenarios/0/expect/attempts/nope: shop.json has no step "nope"; its activity steps: charge, pack, ship, sign`,
			}},
		{"redrive", head + `{"name": "a", "input": {"orderId": "o"}, "redrive": {"from": "nope", "mocks": {"steps": {"nope": {}}}, "expect": {"steps": ["nope"]}}}]}`,
			[]string{
				`case.test.json:1:84: /scenarios/0/redrive: a redrive follows a failed run: expect the run's failure (status "failed" or an error) first`,
				`case.test.json:1:104: /scenarios/0/redrive/from: shop.json has no step "nope" to redrive from`,
				`case.test.json:1:132: /scenarios/0/redrive/mocks/steps/nope: shop.json has no step "nope"; its activity steps: charge, pack, ship, sign`,
				`case.test.json:1:167: /scenarios/0/redrive/expect/steps/0: shop.json has no step "nope"; its activity steps: charge, pack, ship, sign`,
			}},
		{"duplicate names", head + `{"name": "a", "input": {"orderId": "o"}}, {"name": "a", "input": {"orderId": "o"}, "timeout": "0s"}]}`,
			[]string{
				`case.test.json:1:94: /scenarios/1/name: another scenario has this name (/scenarios/0); names pick scenarios with --run`,
				`case.test.json:1:137: /scenarios/1/timeout: "0s" is not a positive duration`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.text)
			var list ErrorList
			require.True(t, errors.As(err, &list), "got %v", err)
			var got []string
			for _, e := range list {
				got = append(got, strings.TrimPrefix(e.Error(), "testdata/"))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestLoadDefinitionErrors shows that an invalid definition is reported
// with dsl's own errors, located in the definition's file.
func TestLoadDefinitionErrors(t *testing.T) {
	_, err := load(t, `{"definition": "broken.json", "scenarios": [{"name": "a"}]}`)
	var list dsl.ErrorList
	require.True(t, errors.As(err, &list), "got %v", err)
	assert.Contains(t, list.Error(), "testdata/broken.json:3:12: /steps: a list of steps needs at least one step")
}

func TestSnippet(t *testing.T) {
	doc, perr := dsl.NewLocator("f.json", []byte("{\n\t\"a\": {\"é\": [1, \"x\"]}\n}"))
	require.Nil(t, perr)
	e := doc.ErrorAt("/a/é/1", false, "bad")
	assert.Equal(t, "f.json:2:17: /a/é/1: bad", e.Error(), "columns count characters")
	assert.Equal(t, "   2 | \t\"a\": {\"é\": [1, \"x\"]}\n     | \t               ^", e.Snippet(), "tabs stay tabs under the line")
	assert.Equal(t, "f.json:2:13: /a/é/2: gone", doc.ErrorAt("/a/é/2", false, "gone").Error(), "a pointer to nothing falls back to its parent")
	assert.Equal(t, "f.json:2:8: /a/é: key", doc.ErrorAt("/a/é", true, "key").Error(), "a member's key can be the place")
	assert.Equal(t, "f.json:1:2: /a~1b: key", mustParse(t, `{"a/b": 1}`).ErrorAt("/a~1b", true, "key").Error(), "pointers escape / in keys")
}

func mustParse(t *testing.T, text string) *dsl.Locator {
	t.Helper()
	doc, err := dsl.NewLocator("f.json", []byte(text))
	require.Nil(t, err)
	return doc
}
