package dsl_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaflow/reaflow/dsl"
)

// TestHostile runs the hostile corpus: definitions and inputs written to
// break the server (deep nesting, huge values, expressions that loop or
// allocate without bound, unicode tricks in names, wrong types, misused
// constructs). testdata/hostile/NAME.json is a definition, NAME.input.json
// (when present) the run's input; generatedHostile builds the cases too
// large to keep as files. Each must fail, quickly, with every error
// located (a line and column in the file or the input, or the pointer and
// expression of an evaluation), as NAME.errors records. Nothing here has
// a side effect: the definitions are loaded and their expressions
// evaluated, step by step, as a run would, without calling anything.
func TestHostile(t *testing.T) {
	files, _ := filepath.Glob("testdata/hostile/*.json")
	cases := map[string]func() (def, input []byte){}
	for _, path := range files {
		if strings.HasSuffix(path, ".input.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		cases[name] = func() ([]byte, []byte) {
			def, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			input, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".input.json")
			if errors.Is(err, os.ErrNotExist) {
				input = nil
			} else if err != nil {
				t.Fatal(err)
			}
			return def, input
		}
	}
	for name, gen := range generatedHostile {
		cases[name] = gen
	}
	if len(cases) < 50 {
		t.Fatalf("%d hostile cases, want at least 50", len(cases))
	}
	for name, gen := range cases {
		t.Run(name, func(t *testing.T) {
			def, input := gen()
			start := time.Now()
			got := hostileErrors(t, name+".json", def, input)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %s", elapsed)
			}
			golden(t, filepath.Join("testdata", "hostile", name+".errors"), got)
		})
	}
}

// hostileErrors loads def, checks input and evaluates the program; it
// returns what failed first, one error per line.
func hostileErrors(t *testing.T, file string, def, input []byte) string {
	t.Helper()
	prog, err := dsl.Load(file, def, activities)
	if err != nil {
		return located(t, err)
	}
	if err := prog.ValidateInput(input); err != nil {
		return located(t, err)
	}
	var in any
	if len(input) > 0 {
		if err := json.Unmarshal(input, &in); err != nil {
			t.Fatalf("input passed validation but does not decode: %v", err)
		}
	}
	env := &dsl.Env{Input: in, Steps: map[string]any{}, Vars: map[string]any{}, Workflow: dsl.WorkflowInfo{ID: "hostile"}}
	err = dryRun(prog.Steps, env)
	if err == nil && prog.Output != nil {
		_, err = prog.Output.Eval(env)
	}
	if err == nil {
		t.Fatal("the definition loaded and evaluated without an error")
	}
	var ee *dsl.EvalError
	if !errors.As(err, &ee) || ee.Pointer == "" {
		t.Fatalf("evaluation error %T without a place: %v", err, err)
	}
	return "evaluating: " + err.Error() + "\n"
}

// located checks that every error of a list has a line and column.
func located(t *testing.T, err error) string {
	t.Helper()
	var list dsl.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want dsl.ErrorList: %v", err, err)
	}
	for _, e := range list {
		// The size limit is about the whole file, which the file name
		// locates; every other error has a line and column.
		if (e.Line == 0 || e.Column == 0) && !strings.Contains(e.Message, "more than the limit of") {
			t.Errorf("error without a position: %v", e)
		}
		_ = e.Snippet()
	}
	return list.Error() + "\n"
}

// dryRun evaluates what a run evaluates, in the order it would: guards,
// activity inputs and dedup keys, variables, switch cases, parallel
// branches, foreach items (each item's steps), sleep times, await
// timeouts, fail messages, return outputs and child inputs. An activity's
// output is its rendered input; a catch handler runs only when its step's
// evaluation failed.
func dryRun(steps []dsl.Step, env *dsl.Env) error {
	for _, step := range steps {
		info := step.Info()
		if info.When != nil {
			ok, err := info.When.EvalBool(env)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		out, err := dryStep(step, env)
		if err != nil {
			return err
		}
		env.Steps[info.ID] = map[string]any{"output": out}
	}
	return nil
}

func dryStep(step dsl.Step, env *dsl.Env) (any, error) {
	eval := func(tmpl *dsl.Template) (any, error) {
		if tmpl == nil {
			return nil, nil
		}
		return tmpl.Eval(env)
	}
	switch s := step.(type) {
	case *dsl.ActivityStep:
		if s.Dedup != nil {
			if _, err := s.Dedup.EvalString(env); err != nil {
				return nil, err
			}
		}
		return eval(s.With)
	case *dsl.SetStep:
		for _, a := range s.Vars {
			v, err := a.Value.Eval(env)
			if err != nil {
				return nil, err
			}
			env.Vars[a.Name] = v
		}
		return nil, nil
	case *dsl.SwitchStep:
		for _, c := range s.Cases {
			ok, err := c.When.EvalBool(env)
			if err != nil {
				return nil, err
			}
			if ok {
				return nil, dryRun(c.Steps, env)
			}
		}
		return nil, dryRun(s.Default, env)
	case *dsl.ParallelStep:
		for _, b := range s.Branches {
			if err := dryRun(b.Steps, env); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case *dsl.ForeachStep:
		items, err := s.Items.Eval(env)
		if err != nil {
			return nil, err
		}
		list, _ := items.([]any)
		for i, item := range list[:min(len(list), 10)] {
			env.Item, env.Index = item, i
			if err := dryRun(s.Steps, env); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case *dsl.SleepStep:
		if s.Until != nil {
			return s.Until.Eval(env)
		}
		return nil, nil
	case *dsl.AwaitStep:
		if s.OnTimeout != nil {
			return s.OnTimeout.Eval(env)
		}
		return nil, nil
	case *dsl.FailStep:
		return eval(s.Message)
	case *dsl.ReturnStep:
		return eval(s.Output)
	case *dsl.WorkflowStep:
		return eval(s.Input)
	}
	return nil, fmt.Errorf("unknown step kind %T", step)
}

// generatedHostile are hostile cases too large, or too repetitive, to keep
// as files; their expected errors are files like the others'.
var generatedHostile = map[string]func() (def, input []byte){
	"oversized-description": func() ([]byte, []byte) {
		return []byte(`{"name": "big", "description": "` + strings.Repeat("x", dsl.DefaultMaxSize) + `", "steps": [{"id": "a", "activity": "http"}]}`), nil
	},
	"oversized-steps": func() ([]byte, []byte) {
		var b strings.Builder
		b.WriteString(`{"name": "big", "steps": [`)
		for i := 0; b.Len() < dsl.DefaultMaxSize; i++ {
			fmt.Fprintf(&b, `{"id": "s%d", "activity": "http"},`, i)
		}
		b.WriteString(`{"id": "last", "activity": "http"}]}`)
		return []byte(b.String()), nil
	},
	"deep-template": func() ([]byte, []byte) {
		return []byte(`{"name": "deep", "steps": [{"id": "a", "activity": "http", "with": ` +
			strings.Repeat(`{"a": [`, 100) + `1` + strings.Repeat(`]}`, 100) + `}]}`), nil
	},
	"deep-input": func() ([]byte, []byte) {
		return []byte(`{"name": "deep", "input": {"type": "object"}, "steps": [{"id": "a", "activity": "http", "with": "${ input }"}]}`),
			[]byte(strings.Repeat(`{"a": `, 200) + `1` + strings.Repeat(`}`, 200))
	},
	"deep-input-without-schema": func() ([]byte, []byte) {
		return []byte(`{"name": "deep", "steps": [{"id": "a", "activity": "http", "with": "${ input }"}]}`),
			[]byte(strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000))
	},
	"long-expression": func() ([]byte, []byte) {
		return []byte(`{"name": "long", "steps": [{"id": "a", "activity": "http", "when": "` + strings.Repeat("true && ", 1200) + `true"}]}`), nil
	},
	"too-many-expressions": func() ([]byte, []byte) {
		return []byte(`{"name": "many", "steps": [{"id": "a", "activity": "http", "with": "` + strings.Repeat("${1}", 10001) + `"}]}`), nil
	},
	"long-number-literal": func() ([]byte, []byte) {
		return []byte(`{"name": "num", "steps": [{"id": "a", "activity": "http", "with": 0.` + strings.Repeat("0", 1000) + `1}]}`), nil
	},
	"huge-input-array-in-loops": func() ([]byte, []byte) {
		return []byte(`{"name": "loops", "steps": [{"id": "a", "activity": "http", "with": "${ all(input, all(input, all(input, # == 0))) }"}]}`),
			[]byte("[" + strings.Repeat("0,", 100000) + "0]")
	},
	"huge-input-string-doubled": func() ([]byte, []byte) {
		return []byte(`{"name": "strings", "steps": [{"id": "a", "set": {"s": "${ input.s + input.s + input.s + input.s }"}}, {"id": "b", "set": {"t": "${ vars.s + vars.s + vars.s + vars.s }"}}, {"id": "c", "activity": "http", "with": "${ vars.t + vars.t }"}]}`),
			[]byte(`{"s": "` + strings.Repeat("x", 400000) + `"}`)
	},
}

// A megabyte of references to no step, among thousands of steps, is
// reported quickly: the first thousand errors, hints while they are cheap,
// and a count of the rest.
func TestManyErrorsAreCheap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"name": "x", "steps": [`)
	for i := range 25000 {
		fmt.Fprintf(&b, `{"id":"s%d","set":{"v":1}},`, i)
	}
	b.WriteString(`{"id":"z","set":{`)
	for i := 0; b.Len() < dsl.DefaultMaxSize-100; i++ {
		fmt.Fprintf(&b, `"v%d":"${steps.q%d}",`, i, i)
	}
	b.WriteString(`"last": 1}}]}`)
	start := time.Now()
	_, err := dsl.Load("many.json", []byte(b.String()))
	elapsed := time.Since(start)
	var list dsl.ErrorList
	require := func(ok bool, format string, args ...any) {
		if !ok {
			t.Fatalf(format, args...)
		}
	}
	require(errors.As(err, &list), "got %v", err)
	require(len(list) == 1001, "%d errors, want 1000 and a count", len(list))
	require(strings.HasPrefix(list[1000].Message, "and ") && strings.HasSuffix(list[1000].Message, " more errors"), "last: %v", list[1000])
	require(strings.HasSuffix(list[0].Message, `unknown step "q0"; did you mean "s0"?`), "first: %v", list[0])
	if elapsed > 10*time.Second {
		t.Errorf("took %s", elapsed)
	}
	t.Logf("%d bytes, %s", b.Len(), elapsed)
}
