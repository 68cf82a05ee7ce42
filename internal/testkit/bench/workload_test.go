package bench_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/testkit/bench"
)

// Generated definitions load with the noop activity known, and have the
// shape of their variant.
func TestDefinitionsLoad(t *testing.T) {
	reg := bench.Registry()
	for _, v := range []bench.Variant{bench.Plain, bench.Templated, bench.Dedup} {
		for _, k := range []int{1, 3, 9, 27} {
			t.Run(fmt.Sprintf("%s/k=%d", v, k), func(t *testing.T) {
				def, err := bench.Definition(v, k)
				require.NoError(t, err)
				prog, err := dsl.Load("bench.json", def, dsl.WithActivities(reg.Has), dsl.WithActivityNames(reg.Names()...))
				require.NoError(t, err, string(def))
				require.Len(t, prog.Steps, k)
				assert.Nil(t, prog.Output, "no output mapping: a run returns every step's output, like the baseline")
				for i, step := range prog.Steps {
					s, ok := step.(*dsl.ActivityStep)
					require.True(t, ok, "step %d is %T", i, step)
					assert.Equal(t, bench.StepID(i+1), s.ID)
					assert.Equal(t, bench.NoopActivity, s.Activity)
					assert.Equal(t, v == bench.Templated, s.When != nil, "when guard")
					assert.Equal(t, v == bench.Dedup, s.Dedup != nil, "dedup key")
				}
			})
		}
	}
}

// A templated step renders exactly the input that the plain variant
// writes out, so both send the activity the same bytes.
func TestTemplatedStepsRenderThePlainInput(t *testing.T) {
	const k = 4
	load := func(v bench.Variant) *dsl.Program {
		def, err := bench.Definition(v, k)
		require.NoError(t, err)
		prog, err := dsl.Load("bench.json", def)
		require.NoError(t, err)
		return prog
	}
	plain, templated := load(bench.Plain), load(bench.Templated)
	var input any
	raw, err := json.Marshal(bench.SampleOrder)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &input))
	env := &dsl.Env{Input: input, Steps: map[string]any{}, Vars: map[string]any{}, Workflow: dsl.WorkflowInfo{ID: "wf-1"}}
	for i := range k {
		p, tpl := plain.Steps[i].(*dsl.ActivityStep), templated.Steps[i].(*dsl.ActivityStep)
		run, err := tpl.When.EvalBool(env)
		require.NoError(t, err)
		assert.True(t, run)
		want, err := p.With.Eval(env)
		require.NoError(t, err)
		got, err := tpl.With.Eval(env)
		require.NoError(t, err)
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(got)
		assert.JSONEq(t, string(wantJSON), string(gotJSON), "step %s", tpl.ID)
		// What the noop activity returns for this step.
		env.Steps[tpl.ID] = map[string]any{"output": map[string]any{"ref": tpl.ID}}
	}
}

func TestDedupKeysAreUniquePerRunAndStep(t *testing.T) {
	def, err := bench.Definition(bench.Dedup, 2)
	require.NoError(t, err)
	prog, err := dsl.Load("bench.json", def)
	require.NoError(t, err)
	env := &dsl.Env{Workflow: dsl.WorkflowInfo{ID: "wf-1"}}
	for i, want := range []string{"wf-1:s1", "wf-1:s2"} {
		key, err := prog.Steps[i].(*dsl.ActivityStep).Dedup.EvalString(env)
		require.NoError(t, err)
		assert.Equal(t, want, key)
	}
}

func TestBaselineHasNoDefinition(t *testing.T) {
	_, err := bench.Definition(bench.Baseline, 1)
	assert.Error(t, err)
}

func TestParseVariant(t *testing.T) {
	for _, v := range bench.Variants {
		got, err := bench.ParseVariant(string(v))
		require.NoError(t, err)
		assert.Equal(t, v, got)
	}
	_, err := bench.ParseVariant("fast")
	assert.ErrorContains(t, err, `unknown variant "fast"`)
}
