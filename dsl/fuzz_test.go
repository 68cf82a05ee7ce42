package dsl_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaflow/reaflow/dsl"
)

// The fuzz targets run for a few seconds each in `make test` (see the
// Makefile); run one longer with, for example,
//
//	go test ./dsl -run '^$' -fuzz '^FuzzEval$' -fuzztime 10m
//
// Their seed corpora are the f.Add calls, the golden definitions in
// testdata/{valid,invalid,hostile}, and testdata/fuzz/<target>, where the
// fuzzer also writes any input that fails.

// slow is how long one input may take before the target reports it: the
// evaluation budget keeps an evaluation well under a second, Load is
// bounded by the size limit.
const slow = 5 * time.Second

// FuzzLoad checks that no definition makes Load panic or hang, that every
// error has a message, and that a loaded program's canonical form loads to
// the same hash.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.json")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		prog, err := dsl.Load("fuzz.json", data)
		if elapsed := time.Since(start); elapsed > slow {
			t.Fatalf("Load took %s", elapsed)
		}
		if err != nil {
			for _, e := range err.(dsl.ErrorList) {
				if e.Message == "" {
					t.Fatalf("empty message: %#v", e)
				}
				_ = e.Snippet()
			}
			return
		}
		again, err := dsl.Load("canonical.json", prog.Canonical)
		if err != nil {
			t.Fatalf("canonical form does not load: %v\n%s", err, prog.Canonical)
		}
		if again.Hash != prog.Hash {
			t.Fatalf("canonical form hashes to %s, not %s", again.Hash, prog.Hash)
		}
	})
}

// fuzzInputs seed the env of the evaluation targets.
var fuzzInputs = []string{
	`null`,
	`{"n": 3, "s": "abc", "a": [1, 2, 3], "m": {"k": "v"}, "ok": true}`,
	`{"s": "` + strings.Repeat("x", 4096) + `", "a": [` + strings.Repeat(`[1,"a",{"b":null}],`, 200) + `0]}`,
	`[1e308, -1e308, 5e-324, 0, -0, 9007199254740993]`,
	`"\u0000\u202e\ud83d\ude00"`,
	`{"a": {"a": {"a": {"a": {"a": {"a": [[[[[[[]]]]]]]}}}}}}`,
}

// FuzzEval compiles an expression and evaluates it against an input: no
// panic, no hang, and a failure is an *EvalError naming where the
// expression is. The expression is wrapped into a template, so the
// fuzzer also reaches interpolation ("a ${ x } b") through what it writes.
func FuzzEval(f *testing.F) {
	for _, src := range []string{
		`input.n * 2 + 1`,
		`input.s + "-" + string(input.n)`,
		`len(filter(input.a, # > 1)) > 0 ? "big" : "small"`,
		`map(input.a, {"i": #index, "v": #})`,
		`keys(input.m)`,
		`reduce(1..10, #acc + #, 0)`,
		`toJSON(input) | fromJSON()`,
		`input.s matches "^a+$"`,
		`repeat(input.s, 3)`,
		`let x = input.a; x[1:2]`,
		`input?.missing?.deeper ?? "default"`,
		`replace(input.s, "b", "${ input.s }")`,
		`1 } ${ 2`,
		`$env`,
		`now()`,
	} {
		for _, input := range fuzzInputs {
			f.Add(src, []byte(input))
		}
	}
	// Expressions that run into the evaluation budget take a good part of
	// a second each: one input is enough.
	for _, src := range []string{
		`reduce(1..40, #acc + #acc, 'x')`,
		`let a = 1..999; all(a, all(a, all(a, true)))`,
		`let a = 1..999; let b = map(a, a); toJSON(map(a, b))`,
	} {
		f.Add(src, []byte(fuzzInputs[1]))
	}
	f.Fuzz(func(t *testing.T, src string, input []byte) {
		var in any
		if json.Unmarshal(input, &in) != nil {
			return
		}
		tmpl, err := json.Marshal("${ " + src + " }")
		if err != nil {
			return
		}
		def := `{"name": "fuzz", "steps": [{"id": "s", "set": {"x": ` + string(tmpl) + `}}]}`
		start := time.Now()
		prog, err := dsl.Load("fuzz.json", []byte(def))
		if err != nil {
			return
		}
		_, err = prog.Steps[0].(*dsl.SetStep).Vars[0].Value.Eval(&dsl.Env{Input: in, Workflow: dsl.WorkflowInfo{ID: "wf"}})
		if elapsed := time.Since(start); elapsed > slow {
			t.Fatalf("%s took %s", src, elapsed)
		}
		var ee *dsl.EvalError
		if err != nil && (!errors.As(err, &ee) || ee.Pointer == "") {
			t.Fatalf("%s: error %T does not say where: %v", src, err, err)
		}
	})
}

// FuzzTemplate evaluates a template, any JSON value whose strings may hold
// expressions, against an input.
func FuzzTemplate(f *testing.F) {
	for _, tmpl := range []string{
		`{"amount": "${ input.n * 2 }", "memo": "order ${ input.s } of ${ len(input.a) } items", "tags": ["a", "${ input.ok }"]}`,
		`"costs $${ input.n } or ${ input.n }"`,
		`"${ {'a': '}'}.a }"`,
		`["${ input.a }", {"k": "${ input.m }"}, null, 1.5, true]`,
		`"${ repeat(input.s, 1000) }${ repeat(input.s, 1000) }"`,
		`"${"`,
		`"$${${"`,
	} {
		for _, input := range fuzzInputs {
			f.Add(tmpl, []byte(input))
		}
	}
	f.Fuzz(func(t *testing.T, tmpl string, input []byte) {
		var in any
		if json.Unmarshal(input, &in) != nil || !json.Valid([]byte(tmpl)) {
			return
		}
		def := `{"name": "fuzz", "steps": [{"id": "s", "activity": "http", "with": ` + tmpl + `}], "output": ` + tmpl + `}`
		start := time.Now()
		prog, err := dsl.Load("fuzz.json", []byte(def))
		if err != nil {
			return
		}
		env := &dsl.Env{Input: in, Steps: map[string]any{"s": map[string]any{"output": in}}}
		out, err := prog.Steps[0].(*dsl.ActivityStep).With.Eval(env)
		if err == nil {
			// A rendered template is what goes on the wire.
			if _, err := json.Marshal(out); err != nil {
				t.Fatalf("rendered %s does not encode: %v", tmpl, err)
			}
		}
		if _, err := prog.Output.Eval(env); err != nil {
			var ee *dsl.EvalError
			if !errors.As(err, &ee) {
				t.Fatalf("error %T does not say where: %v", err, err)
			}
		}
		if elapsed := time.Since(start); elapsed > slow {
			t.Fatalf("%s took %s", tmpl, elapsed)
		}
	})
}

// FuzzValidateInput checks a run's input, and a signal's payload, against
// a schema from the definition: no panic, no hang, and every problem
// located in the input.
func FuzzValidateInput(f *testing.F) {
	for _, schema := range []string{
		`{"type": "object", "required": ["orderId", "amount"], "properties": {"amount": {"type": "number", "minimum": 0}, "email": {"type": "string", "format": "email"}}}`,
		`{"type": "array", "items": {"type": "string", "pattern": "^(a+)+$"}, "uniqueItems": true, "maxItems": 1000}`,
		`{"$defs": {"n": {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}}]}}, "$ref": "#/$defs/n"}`,
		`{"oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer", "multipleOf": 7}]}`,
		`{"$ref": "#"}`,
		`{"$ref": "http://example.com/schema.json"}`,
		`true`,
	} {
		for _, input := range fuzzInputs {
			f.Add(schema, []byte(input))
		}
	}
	f.Fuzz(func(t *testing.T, schema string, input []byte) {
		if !json.Valid([]byte(schema)) {
			return
		}
		def := `{"name": "fuzz", "input": ` + schema + `, "steps": [{"id": "s", "await": {"signal": "go", "schema": ` + schema + `}}]}`
		start := time.Now()
		prog, err := dsl.Load("fuzz.json", []byte(def))
		if err != nil {
			return
		}
		for _, err := range []error{prog.ValidateInput(input), prog.Await("go").ValidatePayload(input)} {
			if err == nil {
				continue
			}
			var list dsl.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T is not an ErrorList: %v", err, err)
			}
			for _, e := range list {
				if e.Message == "" {
					t.Fatalf("empty message: %#v", e)
				}
			}
		}
		if elapsed := time.Since(start); elapsed > slow {
			t.Fatalf("validating took %s", elapsed)
		}
	})
}
