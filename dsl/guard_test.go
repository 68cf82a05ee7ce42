package dsl_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reaflow/reaflow/dsl"
)

// setValue loads a definition with one set step whose variable x is the
// template tmpl (JSON), and returns that template.
func setValue(t testing.TB, tmpl string, opts ...dsl.Option) *dsl.Template {
	t.Helper()
	def := fmt.Sprintf(`{"name": "t", "steps": [{"id": "s", "set": {"x": %s}}]}`, tmpl)
	prog, err := dsl.Load("t.json", []byte(def), opts...)
	if err != nil {
		t.Fatalf("Load:\n%v", err)
	}
	return prog.Steps[0].(*dsl.SetStep).Vars[0].Value
}

func exprTemplate(src string) string {
	b, _ := json.Marshal("${ " + src + " }")
	return string(b)
}

// bigInput is an input with a 512 KiB string and a 50,000-item array, as
// a hostile caller could send within the default input limit.
func bigInput() *dsl.Env {
	items := make([]any, 50_000)
	for i := range items {
		items[i] = map[string]any{"sku": fmt.Sprintf("sku-%d", i), "qty": float64(i % 7)}
	}
	return &dsl.Env{Input: map[string]any{"big": strings.Repeat("x", 512<<10), "items": items, "n": 3.0}}
}

// Expressions that would loop, or build values, without bound fail with
// ErrEvalLimit quickly, whatever they try; none panics or exhausts memory.
func TestEvaluationIsBounded(t *testing.T) {
	hostile := map[string]string{
		"repeat past the budget":                 `repeat(repeat('x', 999999), 999999)`,
		"doubling a string in reduce":            `reduce(1..60, #acc + #acc, 'x')`,
		"doubling a string with let":             `let a = repeat('x', 1000000); let b = a + a; let c = b + b; let d = c + c; let e = d + d; let f = e + e; len(f + f)`,
		"nested loops over a bound range":        `let a = 1..999; all(a, all(a, all(a, true)))`,
		"nested loops over the input":            `all(input.items, all(input.items, .qty >= 0))`,
		"a range of a billion":                   `len(1..1000000000)`,
		"replace multiplying a string":           `len(replace(repeat('x', 500000), 'x', repeat('y', 1000)))`,
		"join with a huge glue":                  `len(join(map(1..100000, 'a'), input.big))`,
		"toJSON of shared parts":                 `let a = 1..999; let b = map(a, a); len(toJSON(map(a, b)))`,
		"string of shared parts":                 `let a = 1..999; let b = map(a, a); len(string(map(a, b)))`,
		"flatten of shared parts":                `let a = 1..999; let b = [a,a,a,a,a,a,a,a,a,a]; let c = [b,b,b,b,b,b,b,b,b,b]; let d = [c,c,c,c,c,c,c,c,c,c]; len(flatten([d,d,d,d,d,d,d,d,d,d]))`,
		"comparing shared parts":                 `let a = 1..999; let b = map(a, a); let c = map(a, b); map(a, b) == c`,
		"a result of shared parts":               `let a = 1..999; let b = [a,a,a,a,a,a,a,a,a,a]; let c = [b,b,b,b,b,b,b,b,b,b]; let d = [c,c,c,c,c,c,c,c,c,c]; [d,d,d,d,d,d,d,d,d,d]`,
		"scanning a big string in a loop":        `all(1..900000, input.big contains 'x')`,
		"hashing a big key in a loop":            `all(1..900000, ({'k': 1})[input.big] == nil)`,
		"measuring a big string in a loop":       `all(1..900000, len(input.big) > 0)`,
		"upper of a big string in a loop":        `all(1..900000, upper(input.big) != '')`,
		"matching a big string in a loop":        `none(1..900000, input.big matches 'x+y')`,
		"membership in a big array in a loop":    `none(1..900000, 'no' in input.items)`,
		"sorting keys in a loop":                 `all(1..900000, len(keys(input.items[0])) > 0)`,
		"a map literal per iteration":            `map(1..900000, ({'a': #, 'b': #, 'c': #}))`,
		"filter then map fused by the optimizer": `filter(1..999, true) | map(all(1..999, all(1..999, true)))`,
	}
	env := bigInput()
	for name, src := range hostile {
		t.Run(name, func(t *testing.T) {
			tmpl := setValue(t, exprTemplate(src))
			start := time.Now()
			_, err := tmpl.Eval(env)
			elapsed := time.Since(start)
			if !errors.Is(err, dsl.ErrEvalLimit) {
				t.Fatalf("got %v, want ErrEvalLimit", err)
			}
			var ee *dsl.EvalError
			if !errors.As(err, &ee) || ee.Pointer != "/steps/0/set/x" {
				t.Errorf("error does not name the expression's place: %v", err)
			}
			if elapsed > 3*time.Second {
				t.Errorf("took %s to fail", elapsed)
			}
		})
	}
}

// The budget leaves room for what workflows do: mapping and filtering
// inputs of tens of thousands of items, building strings.
func TestEvaluationBudgetFitsRealWork(t *testing.T) {
	env := bigInput()
	for src, want := range map[string]any{
		`len(map(input.items, ({'sku': .sku, 'total': .qty * 2})))`:           50000,
		`sum(map(input.items, .qty))`:                                         float64(149997),
		`len(filter(input.items, .qty > 3 && hasPrefix(.sku, 'sku-1')))`:      4762,
		`len(join(map(input.items, .sku), ','))`:                              488889,
		`len(toJSON(input.items[0:1000]))`:                                    43892,
		`len(repeat('ab', 100000))`:                                           200000,
		`len(input.big + input.big)`:                                          1 << 20,
		`len(groupBy(input.items, .qty))`:                                     7,
		`reduce(1..1000, #acc + #, 0)`:                                        500500,
		`findLast(input.items, .qty == 6).sku`:                                "sku-49993",
		`input.n in 1..100000`:                                                true,
		`len(sortBy(input.items[0:10000], .qty))`:                             10000,
		`len(keys(reduce(1..100, let m = #acc; {'k': #, 'm': m}, {'k': 0})))`: 2,
	} {
		t.Run(src, func(t *testing.T) {
			got, err := setValue(t, exprTemplate(src)).Eval(env)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// WithEvalBudget and WithMaxValueSize change the bounds.
func TestEvaluationLimitOptions(t *testing.T) {
	src := exprTemplate(`len(repeat('x', 100000))`)
	if _, err := setValue(t, src).Eval(nil); err != nil {
		t.Fatalf("default budget: %v", err)
	}
	_, err := setValue(t, src, dsl.WithEvalBudget(50_000)).Eval(nil)
	if !errors.Is(err, dsl.ErrEvalLimit) || !strings.Contains(err.Error(), "budget of 50000 bytes") {
		t.Fatalf("small budget: got %v", err)
	}

	big := exprTemplate(`repeat('x', 100000)`)
	if _, err := setValue(t, big).Eval(nil); err != nil {
		t.Fatalf("default value size: %v", err)
	}
	_, err = setValue(t, big, dsl.WithMaxValueSize(64<<10)).Eval(nil)
	if !errors.Is(err, dsl.ErrEvalLimit) || !strings.Contains(err.Error(), "larger than the limit of 64 KiB") {
		t.Fatalf("small value size: got %v", err)
	}
	// A template adds its parts up: each is small, the whole is not.
	parts := make([]string, 20)
	for i := range parts {
		parts[i] = exprTemplate(`repeat('x', 5000)`)
	}
	_, err = setValue(t, "["+strings.Join(parts, ",")+"]", dsl.WithMaxValueSize(64<<10)).Eval(nil)
	if !errors.Is(err, dsl.ErrEvalLimit) {
		t.Fatalf("template total: got %v", err)
	}
}

// Expressions see the data they are given and nothing of the process: no
// environment variables, files, network, clock, or Go values behind the
// data (field names, methods, the whole Env).
func TestExpressionsCannotReachTheProcess(t *testing.T) {
	t.Setenv("REAFLOW_TEST_SECRET", "hunter2")
	refused := map[string]string{
		`$env`:                           "$env is not available",
		`$env.Input`:                     "$env is not available",
		`$tick($env, 1, 2)`:              "$tick is not available",
		`$call(nil, 'repeat', 'x', 9)`:   "$call is not available",
		`env('REAFLOW_TEST_SECRET')`:     "unknown name env",
		`getenv('HOME')`:                 "unknown name getenv",
		`os.Getenv('HOME')`:              "unknown name os",
		`readFile('/etc/passwd')`:        "unknown name readFile",
		`http.Get('http://example.com')`: "unknown name http",
		`exec('sh')`:                     "unknown name exec",
		`now()`:                          "now() is not available",
		`date('2020-01-01')`:             "date() is not available",
		`timezone('UTC')`:                "timezone() is not available",
		`Input`:                          "unknown name Input",
		`Steps`:                          "unknown name Steps",
		`workflow.ID`:                    `type dsl.WorkflowInfo has no field ID`,
		`error.Code`:                     `type dsl.ErrorInfo has no field Code`,
		`workflow.String()`:              `type dsl.WorkflowInfo has no method String`,
	}
	for src, want := range refused {
		t.Run(src, func(t *testing.T) {
			def := fmt.Sprintf(`{"name": "t", "steps": [{"id": "s", "set": {"x": %s}}]}`, exprTemplate(src))
			_, err := dsl.Load("t.json", []byte(def))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want an error containing %q", err, want)
			}
		})
	}
	// What expressions can reach is data: maps have no methods, and
	// reflection-like builtins only describe values.
	env := &dsl.Env{Input: map[string]any{"m": map[string]any{"a": 1.0}}, Workflow: dsl.WorkflowInfo{ID: "wf"}}
	for src, want := range map[string]string{
		`type(input)`:          "map",
		`type(workflow)`:       "map",
		`toJSON(workflow)`:     "{\n  \"id\": \"wf\"\n}",
		`fromJSON('{"a": 1}')`: "map[a:1]",
	} {
		got, err := setValue(t, exprTemplate(src)).Eval(env)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("%s: got %v, %v; want %v", src, got, err, want)
		}
	}
	for _, src := range []string{`input.m.Len()`, `input.m.String()`, `input.m['a'].String()`} {
		_, err := setValue(t, exprTemplate(src)).Eval(env)
		if err == nil {
			t.Errorf("%s: evaluated, want an error", src)
		}
	}
}
