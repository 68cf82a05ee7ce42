package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/reaflow/reaflow/rea"
)

// Actual is what a scenario's run did, as far as the expectations look.
type Actual struct {
	// Status is "completed", "failed", or "unfinished" when the run did
	// not end within the scenario's timeout; "" when it never started.
	Status string          `json:"status,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *RunError       `json:"error,omitempty"`
	// Steps are the activity steps called, in the order of their first
	// attempts; Compensations the compensations, likewise.
	Steps         []string          `json:"steps"`
	Compensations []string          `json:"compensations"`
	Attempts      map[string]int    `json:"attempts"`
	Keys          map[string]string `json:"keys"`
}

// RunError is a failed run's error: its code and message.
type RunError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (a *Actual) observe(calls []callRecord) {
	a.Steps, a.Compensations = []string{}, []string{}
	a.Attempts, a.Keys = map[string]int{}, map[string]string{}
	for _, c := range calls {
		if c.compensation {
			a.Compensations = append(a.Compensations, c.name)
			continue
		}
		a.Steps = append(a.Steps, c.name)
		a.Attempts[c.name] += c.attempts
		a.Keys[c.name] = c.key
	}
}

// check compares the run with the expectations and returns what differs.
func (e *Expect) check(s *Scenario, a *Actual, calls []callRecord) []Problem {
	var out []Problem
	add := func(field, format string, args ...any) {
		out = append(out, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if a.Status != e.Status {
		got := a.Status
		if a.Error != nil {
			got += ": " + a.Error.Message
		}
		add("status", "expected %s, got %s", e.Status, got)
	}
	if a.Status == "completed" {
		if e.Output != nil {
			for _, d := range diffJSON(e.Output, a.Output, false) {
				add("output", "%s", d)
			}
		}
		if e.OutputIncludes != nil {
			for _, d := range diffJSON(e.OutputIncludes, a.Output, true) {
				add("outputIncludes", "%s", d)
			}
		}
	}
	if a.Status == "failed" && a.Error != nil {
		if e.ErrorCode != nil && *e.ErrorCode != a.Error.Code {
			add("error", "expected code %q, got %q (%s)", *e.ErrorCode, a.Error.Code, a.Error.Message)
		}
		if e.ErrorMessage != nil && !strings.Contains(a.Error.Message, *e.ErrorMessage) {
			add("error", "expected a message containing %q, got %q", *e.ErrorMessage, a.Error.Message)
		}
	}
	if e.Steps != nil && !e.Steps.matches(a.Steps) {
		out = append(out, Problem{Field: "steps", Message: "not the expected steps", Expected: e.Steps.String(), Actual: orNone(a.Steps)})
	}
	if e.Compensations != nil && !e.Compensations.matches(a.Compensations) {
		out = append(out, Problem{Field: "compensations", Message: "not the expected compensations", Expected: e.Compensations.String(), Actual: orNone(a.Compensations)})
	}
	for _, name := range sortedKeys(e.Attempts) {
		if got := a.Attempts[name]; got != e.Attempts[name] {
			add("attempts", "%s: expected %d, got %d", name, e.Attempts[name], got)
		}
	}
	for _, name := range sortedKeys(e.Keys) {
		want, got := e.Keys[name].Exact, a.Keys[name]
		if dedup := e.Keys[name].Dedup; dedup != "" {
			want = dedupKey(s, name, dedup)
		}
		switch {
		case got == "":
			add("keys", "%s: expected %s, but the step was not called", name, want)
		case got != want:
			add("keys", "%s: expected %s, got %s", name, want, got)
		}
	}
	return out
}

// dedupKey is the idempotency key a dedup step's activity receives: one
// derived from the activity and the dedup key alone, so that every run
// with that key sends the provider the same one. It restates the
// interpreter's derivation on purpose: the key is what providers see, and
// a change to it is a change they notice, which a scenario should catch.
func dedupKey(s *Scenario, name, key string) string {
	d, id, _ := s.File.def.lookup(name)
	return rea.IdempotencyKey(d.activities[id].Activity+"/"+key, rea.Role("dedup"))
}

// matches reports whether names come in the order seq gives, each group
// in any order.
func (seq Sequence) matches(names []string) bool {
	i := 0
	for _, group := range seq {
		if i+len(group) > len(names) {
			return false
		}
		got := slices.Clone(names[i : i+len(group)])
		want := slices.Clone(group)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return false
		}
		i += len(group)
	}
	return i == len(names)
}

// String writes the sequence as the report shows it: groups in braces.
func (seq Sequence) String() string {
	if len(seq) == 0 {
		return "(none)"
	}
	parts := make([]string, len(seq))
	for i, group := range seq {
		if len(group) == 1 {
			parts[i] = group[0]
		} else {
			parts[i] = "{" + strings.Join(group, ", ") + "}"
		}
	}
	return strings.Join(parts, ", ")
}

// maxDiffs bounds the differences reported for one output: the first few
// say what is wrong, and --json has the whole output.
const maxDiffs = 10

// diffJSON lists how got differs from want, one line per JSON pointer.
// With subset, members of objects that want does not mention are ignored.
func diffJSON(want, got json.RawMessage, subset bool) []string {
	var w, g any
	if err := decode(want, &w); err != nil {
		return []string{"expected value: " + err.Error()}
	}
	if err := decode(got, &g); err != nil {
		return []string{fmt.Sprintf("the run's output is not JSON: %v", err)}
	}
	var out []string
	var walk func(ptr string, w, g any)
	walk = func(ptr string, w, g any) {
		if len(out) > maxDiffs {
			return
		}
		label := ptr
		if label == "" {
			label = "(the whole output)"
		}
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				out = append(out, fmt.Sprintf("%s: expected %s, got %s", label, show(w), show(g)))
				return
			}
			keys := make([]string, 0, len(wv))
			for k := range wv {
				keys = append(keys, k)
			}
			if !subset {
				for k := range gv {
					if _, ok := wv[k]; !ok {
						keys = append(keys, k)
					}
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				child := ptr + "/" + escapePointer(k)
				wc, inW := wv[k]
				gc, inG := gv[k]
				switch {
				case !inG:
					out = append(out, fmt.Sprintf("%s: missing, expected %s", child, show(wc)))
				case !inW:
					out = append(out, fmt.Sprintf("%s: unexpected %s", child, show(gc)))
				default:
					walk(child, wc, gc)
				}
			}
		case []any:
			gv, ok := g.([]any)
			if !ok || len(gv) != len(wv) {
				out = append(out, fmt.Sprintf("%s: expected %s, got %s", label, show(w), show(g)))
				return
			}
			for i := range wv {
				walk(ptr+"/"+strconv.Itoa(i), wv[i], gv[i])
			}
		default:
			if !equalJSON(w, g) {
				out = append(out, fmt.Sprintf("%s: expected %s, got %s", label, show(w), show(g)))
			}
		}
	}
	walk("", w, g)
	if len(out) > maxDiffs {
		out = append(out[:maxDiffs], "(more differences left out)")
	}
	return out
}

func decode(raw json.RawMessage, v *any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		*v = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// equalJSON compares scalars; numbers by value, so that 1 and 1.0 match.
func equalJSON(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		af, aerr := an.Float64()
		bf, berr := bn.Float64()
		if aerr == nil && berr == nil {
			return af == bf
		}
		return an == bn
	}
	return a == b
}

// show writes a value compactly for a one-line message.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 80
	if s := string(b); len([]rune(s)) > max {
		return string([]rune(s)[:max]) + "…"
	}
	return string(b)
}

// orNone lists names for a report, or says there are none.
func orNone(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
