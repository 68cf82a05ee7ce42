package chaos

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
)

// A job depends on the seed and its index only, so a failing run can be
// found again by its seed.
func TestJobsAreDeterministic(t *testing.T) {
	a := &planner{seed: 7, sandboxURL: "http://sandbox"}
	b := &planner{seed: 7, sandboxURL: "http://sandbox"}
	for _, i := range []int{41, 0, 3, 41, 250} {
		ja, jb := a.job(i), b.job(i)
		require.Equal(t, ja.scenario, jb.scenario)
		require.Len(t, jb.runs, len(ja.runs))
		for k := range ja.runs {
			assert.Equal(t, ja.runs[k].ID, jb.runs[k].ID)
			assert.JSONEq(t, string(ja.runs[k].Input), string(jb.runs[k].Input))
			assert.Equal(t, ja.runs[k].Expect.Effects, jb.runs[k].Expect.Effects)
		}
	}
	other := &planner{seed: 8, sandboxURL: "http://sandbox"}
	differs := false
	for i := range 20 {
		differs = differs || other.job(i).scenario != a.job(i).scenario
	}
	assert.True(t, differs, "another seed plans other jobs")
}

// Every scenario comes up, and every input is one its definition accepts:
// a soak must fail on what the chaos does, not on a bad plan.
func TestEveryScenarioIsPlannedWithValidInput(t *testing.T) {
	programs := map[string]*dsl.Program{}
	for _, f := range Files {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "workflows", f))
		require.NoError(t, err)
		prog, err := dsl.Load(f, data)
		require.NoError(t, err, f)
		programs[f] = prog
	}
	p := &planner{seed: 1, sandboxURL: "http://127.0.0.1:1"}
	seen := map[string]int{}
	ids := map[string]bool{}
	for i := range 400 {
		j := p.job(i)
		seen[j.scenario]++
		for _, r := range j.runs {
			require.False(t, ids[r.ID], "run id %s planned twice", r.ID)
			ids[r.ID] = true
			assert.NoError(t, programs[r.File].ValidateInput(r.Input), "%s: %s", r.ID, r.Input)
			assert.True(t, strings.HasPrefix(r.ID, "chaos-1-"), r.ID)
			assert.True(t, r.Expect.Completed || len(r.Expect.Failure) > 0, "%s: a failure must say what it fails with", r.ID)
			assert.Equal(t, j.scenario == "trip-cancelled", r.CancelAfter > 0 && r.Resolve != nil, r.ID)
			if r.Signal != nil {
				var payload map[string]any
				require.NoError(t, json.Unmarshal(r.Signal, &payload))
				assert.Equal(t, "chaos", payload["by"])
			}
		}
	}
	for _, s := range scenarios {
		assert.NotZero(t, seen[s.name], "scenario %s never planned in 400 jobs", s.name)
	}
}
