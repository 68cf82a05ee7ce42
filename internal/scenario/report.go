package scenario

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Result is the outcome of one scenario.
type Result struct {
	File     string        `json:"file"`
	Scenario string        `json:"scenario"`
	RunID    string        `json:"runId"`
	Duration time.Duration `json:"-"`
	// Problems are the expectations the run did not meet, and anything
	// that went wrong around it (a call no mock answers, a refused
	// signal); none means the scenario passed.
	Problems []Problem `json:"problems"`
	Actual   Actual    `json:"actual"`
	// RedriveID and Redrive are the redrive's run and what it did, for a
	// scenario with a redrive whose run failed; its problems' fields
	// start with "redrive.".
	RedriveID string  `json:"redriveId,omitempty"`
	Redrive   *Actual `json:"redrive,omitempty"`
}

// Problem is one way a scenario failed.
type Problem struct {
	// Field names what differs: status, output, outputIncludes, error,
	// steps, compensations, attempts, keys, or mocks, signals,
	// callbacks and run for what went wrong around the expectations;
	// "redrive." and one of those for the redrive.
	Field   string `json:"field"`
	Message string `json:"message"`
	// Expected and Actual are set for orders of steps, which read best
	// one above the other.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// OK reports whether the scenario met every expectation.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// WriteText writes one line per scenario, "ok" or "FAIL" with the file, the
// scenario and how long it took, each failure followed by its problems,
// then a summary line.
func WriteText(w io.Writer, results []*Result) error {
	var b strings.Builder
	for _, r := range results {
		writeResult(&b, r)
	}
	b.WriteString(Summary(results) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteResult writes one scenario's line and problems, as WriteText does.
func WriteResult(w io.Writer, r *Result) error {
	var b strings.Builder
	writeResult(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeResult(b *strings.Builder, r *Result) {
	status := "ok  "
	if !r.OK() {
		status = "FAIL"
	}
	fmt.Fprintf(b, "%s %s: %s (%s)\n", status, r.File, r.Scenario, r.Duration.Round(100*time.Millisecond))
	for _, p := range r.Problems {
		fmt.Fprintf(b, "     %s: %s\n", p.Field, indent(p.Message, "       "))
		if p.Expected != "" || p.Actual != "" {
			fmt.Fprintf(b, "       expected: %s\n", p.Expected)
			fmt.Fprintf(b, "       got:      %s\n", p.Actual)
		}
	}
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// Summary says how many scenarios passed, or how many failed.
func Summary(results []*Result) string {
	failed := 0
	for _, r := range results {
		if !r.OK() {
			failed++
		}
	}
	if failed == 0 {
		return fmt.Sprintf("ok: %d %s passed", len(results), plural(len(results), "scenario", "scenarios"))
	}
	return fmt.Sprintf("FAIL: %d of %d %s failed", failed, len(results), plural(len(results), "scenario", "scenarios"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// jsonReport is what WriteJSON writes.
type jsonReport struct {
	Passed    int          `json:"passed"`
	Failed    int          `json:"failed"`
	Scenarios []jsonResult `json:"scenarios"`
}

// jsonResult is a Result as WriteJSON writes it: whether it passed first,
// then what differs, then the run as it was.
type jsonResult struct {
	File       string    `json:"file"`
	Scenario   string    `json:"scenario"`
	RunID      string    `json:"runId"`
	OK         bool      `json:"ok"`
	DurationMS int64     `json:"durationMs"`
	Problems   []Problem `json:"problems"`
	Actual     Actual    `json:"actual"`
	RedriveID  string    `json:"redriveId,omitempty"`
	Redrive    *Actual   `json:"redrive,omitempty"`
}

// WriteJSON writes every result, with the run's actual output, error,
// steps, compensations, attempts and keys, as one JSON document.
func WriteJSON(w io.Writer, results []*Result) error {
	rep := jsonReport{Scenarios: []jsonResult{}}
	for _, r := range results {
		if r.OK() {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Scenarios = append(rep.Scenarios, jsonResult{File: r.File, Scenario: r.Scenario, RunID: r.RunID, OK: r.OK(),
			DurationMS: r.Duration.Milliseconds(), Problems: append([]Problem{}, r.Problems...), Actual: r.Actual,
			RedriveID: r.RedriveID, Redrive: r.Redrive})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
