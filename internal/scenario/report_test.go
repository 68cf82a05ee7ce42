package scenario

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestReport pins the text and JSON reports of a set of results against
// golden files: every kind of problem, one passing scenario, and the
// summary lines.
func TestReport(t *testing.T) {
	passing := &Result{File: "workflows/trip.test.json", Scenario: "happy path", RunID: "trip-happy-path", Duration: 1234 * time.Millisecond,
		Actual: Actual{Status: "completed", Output: json.RawMessage(`{"tripId":"t-1"}`), Steps: []string{"deposit", "flight"}, Compensations: []string{},
			Attempts: map[string]int{"deposit": 1, "flight": 1}, Keys: map[string]string{"deposit": "rf1_a", "flight": "rf1_b"}}}
	failing := &Result{File: "workflows/trip.test.json", Scenario: "sold out", RunID: "trip-sold-out", Duration: 870 * time.Millisecond,
		Problems: []Problem{
			{Field: "mocks", Message: "step car called activity book, which no mock answers: add mocks.activities.book or mocks.steps.car"},
			{Field: "status", Message: "expected completed, got failed: step \"car\" (activity book) failed: unmocked_activity: no mock"},
			{Field: "output", Message: `/tripId: expected "t-2", got "t-1"`},
			{Field: "steps", Message: "not the expected steps", Expected: "deposit, {flight, hotel}", Actual: "deposit, flight"},
			{Field: "compensations", Message: "not the expected compensations", Expected: "flight", Actual: "(none)"},
			{Field: "keys", Message: "deposit: expected rf1_x, got rf1_a"},
		},
		Actual: Actual{Status: "failed", Error: &RunError{Code: "unmocked_activity", Message: "step \"car\" (activity book) failed: unmocked_activity: no mock"},
			Steps: []string{"deposit", "flight"}, Compensations: []string{}, Attempts: map[string]int{"deposit": 1, "flight": 1}, Keys: map[string]string{}}}

	tests := []struct {
		name    string
		results []*Result
		json    bool
	}{
		{name: "passed", results: []*Result{passing}},
		{name: "failed", results: []*Result{passing, failing}},
		{name: "failed-json", results: []*Result{passing, failing}, json: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if tt.json {
				require.NoError(t, WriteJSON(&b, tt.results))
			} else {
				require.NoError(t, WriteText(&b, tt.results))
			}
			path := filepath.Join("testdata", "report-"+tt.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run the test with -update to write %s", path)
			assert.Equal(t, string(want), b.String())
		})
	}
}
