package dsl_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

// step loads a one-step definition whose step has the given JSON fields
// after its id, and returns the step.
func step(t testing.TB, fields string) *dsl.ActivityStep {
	t.Helper()
	def := fmt.Sprintf(`{"name": "t", "steps": [{"id": "s", "activity": "http", %s}]}`, fields)
	prog, err := dsl.Load("t.json", []byte(def))
	if err != nil {
		t.Fatalf("Load(%s):\n%v", def, err)
	}
	return prog.Steps[0].(*dsl.ActivityStep)
}

func testEnv() *dsl.Env {
	var input any
	_ = json.Unmarshal([]byte(`{
		"n": 3, "half": 2.5, "name": "Ada", "ok": true, "none": null,
		"tags": ["a", "b"], "obj": {"z": 1, "a": "x<y"}, "text": "x"
	}`), &input)
	return &dsl.Env{
		Input:    input,
		Steps:    map[string]any{"prev": map[string]any{"output": map[string]any{"id": "ch_1"}}},
		Vars:     map[string]any{"count": 2},
		Workflow: dsl.WorkflowInfo{ID: "wf-1"},
	}
}

func TestTemplateEval(t *testing.T) {
	tests := []struct {
		name     string
		template string
		want     any
	}{
		{"constant string", `"plain"`, "plain"},
		{"constant number", `42`, 42.0},
		{"constant null", `null`, nil},
		{"typed number from input", `"${ input.n }"`, 3.0},
		{"typed int arithmetic", `"${ 1 + 2 }"`, 3},
		{"typed bool", `"${input.ok}"`, true},
		{"typed string", `"${ input.name }"`, "Ada"},
		{"typed null for a missing field", `"${ input.missing }"`, nil},
		{"typed array", `"${ input.tags }"`, []any{"a", "b"}},
		{"typed object literal", `"${ {'a': input.n, 'b': [1, 'x']} }"`, map[string]any{"a": 3.0, "b": []any{1, "x"}}},
		{"whitespace inside the braces", `"${\n\tinput.name\t}"`, "Ada"},
		{"interpolated string", `"hi ${ input.name }!"`, "hi Ada!"},
		{"interpolated integral float", `"n=${ input.n }"`, "n=3"},
		{"interpolated fraction", `"${ input.half } kg"`, "2.5 kg"},
		{"interpolated int", `"${ 2 * 21 }."`, "42."},
		{"interpolated bool and null", `"${ input.ok }/${ input.none }"`, "true/null"},
		{"interpolated object as compact JSON without HTML escaping", `"obj=${ input.obj }"`, `obj={"a":"x<y","z":1}`},
		{"interpolated array", `"tags: ${ input.tags }"`, `tags: ["a","b"]`},
		{"adjacent expressions", `"${ input.name }${ input.n }"`, "Ada3"},
		{"space around is interpolation", `" ${ input.n }"`, " 3"},
		{"escaped dollar", `"costs $${ input.n } or ${ input.n }"`, "costs ${ input.n } or 3"},
		{"escapes and dollars around expressions", `"$$${ input.n }$${$ a$${b ${ input.name }$"`, "$${ input.n }${$ a${b Ada$"},
		{"braces in string literals", `"${ '}' + \"{\" }"`, "}{"},
		{"map literal inside", `"${ {'k': '}'}.k }"`, "}"},
		{"sorted keys", `"${ keys(input.obj) }"`, []any{"a", "z"}},
		{"sorted values", `"${ values(input.obj) }"`, []any{"x<y", 1.0}},
		{"duration is allowed", `"${ duration('1s') }"`, 1e9},
		{"nested with constants and expressions", `{"a": [1, "${ input.n }", {"b": "x ${ input.name }"}], "c": {"d": true}}`,
			map[string]any{"a": []any{1.0, 3.0, map[string]any{"b": "x Ada"}}, "c": map[string]any{"d": true}}},
	}
	env := testEnv()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := step(t, `"with": `+tt.template).With.Eval(env)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("result does not marshal: %v", err)
			}
		})
	}
}

func TestTemplateConstantsAreBuiltOnce(t *testing.T) {
	with := step(t, `"with": {"a": [1, 2], "b": {"c": "d"}}`).With
	first, _ := with.Eval(nil)
	second, _ := with.Eval(nil)
	if reflect.ValueOf(first).UnsafePointer() != reflect.ValueOf(second).UnsafePointer() {
		t.Error("a constant template built a new map on Eval")
	}

	// In a template with expressions, constant subtrees are still shared.
	mixed := step(t, `"with": {"x": "${ input.n }", "k": {"c": "d"}}`).With
	first, _ = mixed.Eval(testEnv())
	second, _ = mixed.Eval(testEnv())
	a, b := first.(map[string]any)["k"], second.(map[string]any)["k"]
	if reflect.ValueOf(a).UnsafePointer() != reflect.ValueOf(b).UnsafePointer() {
		t.Error("a constant subtree was rebuilt on Eval")
	}
}

func TestTemplateMarshalJSON(t *testing.T) {
	with := step(t, `"with": { "b": "${ input.n }",  "a": [1, 2.50] }`).With
	got, err := json.Marshal(with)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1,2.50],"b":"${ input.n }"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// The template's JSON is part of the program's canonical form: changing
// what MarshalJSON returned must change neither.
func TestTemplateMarshalJSONReturnsACopy(t *testing.T) {
	prog, err := dsl.Load("t.json", []byte(`{"name": "t", "steps": [{"id": "s", "activity": "http", "with": {"a": 1}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	canonical := string(prog.Canonical)
	with := prog.Steps[0].(*dsl.ActivityStep).With
	raw, err := with.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	copy(raw, "XXXXXXX")
	again, _ := with.MarshalJSON()
	if string(again) != `{"a":1}` || string(prog.Canonical) != canonical {
		t.Errorf("MarshalJSON handed out the program's own bytes: now %s, canonical %s", again, prog.Canonical)
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		eval   func(*dsl.ActivityStep, *dsl.Env) error
		want   string
	}{
		{
			name:   "arithmetic on a string",
			fields: `"with": {"amount": "${ input.text * 2 }"}`,
			eval:   func(s *dsl.ActivityStep, env *dsl.Env) error { _, err := s.With.Eval(env); return err },
			want:   "/steps/0/with/amount: ${ input.text * 2 }: invalid operation: string * int",
		},
		{
			name:   "infinity is not JSON",
			fields: `"with": "${ 1 / 0 }"`,
			eval:   func(s *dsl.ActivityStep, env *dsl.Env) error { _, err := s.With.Eval(env); return err },
			want:   "/steps/0/with: ${ 1 / 0 }: result +Inf is not a JSON number",
		},
		{
			name:   "infinity in interpolation",
			fields: `"with": "x ${ 1 / 0 }"`,
			eval:   func(s *dsl.ActivityStep, env *dsl.Env) error { _, err := s.With.Eval(env); return err },
			want:   "/steps/0/with: ${ 1 / 0 }: result +Inf is not a JSON number",
		},
		{
			name:   "when must be a boolean",
			fields: `"when": "input.name"`,
			eval:   func(s *dsl.ActivityStep, env *dsl.Env) error { _, err := s.When.EvalBool(env); return err },
			want:   `/steps/0/when: input.name: expected a boolean, got string "Ada"`,
		},
		{
			// expr's words: it reads a member of a string as an index.
			name:   "a member of a string names its type, not its value",
			fields: `"with": "${ input.name.first }"`,
			eval:   func(s *dsl.ActivityStep, env *dsl.Env) error { _, err := s.With.Eval(env); return err },
			want:   "/steps/0/with: ${ input.name.first }: invalid operation: int(string)",
		},
		{
			name:   "dedup must be a string",
			fields: `"dedup": "input.n"`,
			eval:   func(s *dsl.ActivityStep, env *dsl.Env) error { _, err := s.Dedup.EvalString(env); return err },
			want:   "/steps/0/dedup: input.n: expected a string, got float64 3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.eval(step(t, tt.fields), testEnv())
			var evalErr *dsl.EvalError
			if !errors.As(err, &evalErr) {
				t.Fatalf("got %v (%T), want a *dsl.EvalError", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			if evalErr.Err == nil || errors.Unwrap(err) != evalErr.Err {
				t.Error("EvalError does not unwrap to its cause")
			}
		})
	}
}

func TestWhenAndDedup(t *testing.T) {
	s := step(t, `"when": "input.n > 2 && workflow.id == 'wf-1'", "dedup": "'ship:' + input.name"`)
	run, err := s.When.EvalBool(testEnv())
	if err != nil || !run {
		t.Errorf("when: got %v, %v; want true", run, err)
	}
	env := testEnv()
	env.Workflow.ID = "other"
	if run, _ := s.When.EvalBool(env); run {
		t.Error("when: got true for another workflow id")
	}
	key, err := s.Dedup.EvalString(testEnv())
	if err != nil || key != "ship:Ada" {
		t.Errorf("dedup: got %q, %v", key, err)
	}
	if s.When.Source != "input.n > 2 && workflow.id == 'wf-1'" || s.When.Pointer != "/steps/0/when" {
		t.Errorf("when: Source %q, Pointer %q", s.When.Source, s.When.Pointer)
	}
}

func TestEnvNames(t *testing.T) {
	def := `{"name": "t", "steps": [
		{"id": "prev", "activity": "http"},
		{"id": "count", "set": {"count": 2}},
		{"id": "s", "activity": "http", "with": "${ steps.prev.output.id }-${ vars.count }-${ workflow.id }"}
	]}`
	prog, err := dsl.Load("t.json", []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	got, err := prog.Step("s").(*dsl.ActivityStep).With.Eval(testEnv())
	if err != nil || got != "ch_1-2-wf-1" {
		t.Errorf("got %v, %v", got, err)
	}
	if prog.Step("count") != prog.Steps[1] || prog.Step("nope") != nil {
		t.Error("Step(id) lookup is wrong")
	}
}

func TestWhenNullIsFalse(t *testing.T) {
	run, err := step(t, `"when": "input.none"`).When.EvalBool(testEnv())
	if run || err != nil {
		t.Errorf("got %v, %v; want false, nil", run, err)
	}
}

func TestNonDeterministicBuiltinsRejected(t *testing.T) {
	for _, call := range []string{"now()", "date('2024-01-01')", "timezone('UTC')"} {
		def := fmt.Sprintf(`{"name": "t", "steps": [{"id": "s", "activity": "http", "with": "${ %s }"}]}`, call)
		_, err := dsl.Load("t.json", []byte(def))
		name := call[:strings.IndexByte(call, '(')]
		if err == nil || !strings.Contains(err.Error(), name+"() is not available") {
			t.Errorf("%s: got %v", call, err)
		}
	}
}

func TestConcurrentEval(t *testing.T) {
	s := step(t, `"with": {"a": "${ input.n * 2 }", "b": "n=${ input.n }"}`)
	want := map[string]any{"a": 6.0, "b": "n=3"}
	done := make(chan error)
	for range 8 {
		go func() {
			for range 200 {
				got, err := s.With.Eval(testEnv())
				if err == nil && !reflect.DeepEqual(got, want) {
					err = fmt.Errorf("got %v", got)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
