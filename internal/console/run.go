package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/dsl"
)

// runData is what the run page shows.
type runData struct {
	Run     *client.Run
	Details *client.RunDetails
	Program *dsl.Program
	Graph   []*box
	// Duration is how long the run took, or has been going.
	Duration time.Duration
	Input    string
	Output   string
	// OutputSize is the size of an output too large to show unasked.
	OutputSize int
	// Compensations are the steps whose compensation ran, or runs.
	Compensations []client.StepStatus
	Step          *stepDetail
	Actions       actions
}

// actions are the forms the run page offers for the run as it is now.
type actions struct {
	Signals   []signalForm
	Callbacks []string
	Cancel    bool
	Redrive   bool
	// RedriveFrom lists the steps a redrive can start again from.
	RedriveFrom []string
}

// stepDetail is what the page shows of the selected step.
type stepDetail struct {
	ID, Kind    string
	Description string
	Status      *client.StepStatus
	// Path is the step path shown: the step id, or a foreach item's
	// "lines[3]/ship".
	Path string
	// Loop is the foreach step around the step and Item the index asked
	// for (-1 for none); ItemTotal is the loop's item count.
	Loop      string
	Item      int
	ItemTotal int
	Key       string
	Input     string
	InputNote string
	Output    string
	// Source is the step as its definition has it.
	Source string
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) {
	s.showRun(w, r, http.StatusOK, "")
}

// showRun renders the run page, with an action's failure when there is
// one.
func (s *Server) showRun(w http.ResponseWriter, r *http.Request, status int, actionError string) {
	id := r.PathValue("id")
	p := &page{Title: "Run " + id, Nav: "runs", Error: actionError}
	details, err := s.c.Details(r.Context(), id)
	if err != nil {
		p.Error, status = errorText(err), http.StatusBadGateway
		if errors.Is(err, client.ErrNotFound) {
			status = http.StatusNotFound
		}
		s.renderPage(w, r, status, "run", p)
		return
	}
	data := s.runData(r, details)
	p.Data = data
	s.renderPage(w, r, status, "run", p)
}

func (s *Server) runData(r *http.Request, details *client.RunDetails) *runData {
	run := details.Status
	data := &runData{Run: run, Details: details, Input: prettyJSON(details.Input)}
	end := time.Now()
	if run.Finished() {
		end = run.UpdatedAt
	}
	data.Duration = end.Sub(run.CreatedAt)
	if run.State == client.Done {
		if out, err := s.c.Output(r.Context(), run.WorkflowID); err == nil {
			// A large output (a foreach's items) waits to be asked for.
			if len(out) > largeOutput && r.URL.Query().Get("output") != "all" {
				data.OutputSize = len(out)
			} else {
				data.Output = prettyJSON(out)
			}
		}
	}
	collectCompensations(run.Steps, &data.Compensations)
	if details.Definition != "" {
		if prog, err := dsl.Load(details.File, []byte(details.Definition)); err == nil {
			data.Program = prog
		}
	}
	selected := r.URL.Query().Get("step")
	if data.Program != nil {
		data.Graph = newDrawing(run, selected).list(data.Program.Steps, false)
		if selected != "" && data.Program.Step(selected) != nil {
			data.Step = stepDetails(data.Program, details, selected, r.URL.Query().Get("item"))
		}
	}
	data.Actions = actionsFor(run, data.Program, details.Definition)
	return data
}

// largeOutput is the size from which a run's output is shown only when
// asked for.
const largeOutput = 8 << 10

func collectCompensations(steps []client.StepStatus, out *[]client.StepStatus) {
	for _, st := range steps {
		switch st.State {
		case client.Compensating, client.Compensated, client.CompensationFailed:
			*out = append(*out, st)
		}
		if st.Items != nil && (st.Items.Compensated > 0 || st.Items.CompensationFailed > 0) {
			*out = append(*out, st)
		}
		collectCompensations(st.Steps, out)
		collectCompensations(st.Handler, out)
		for _, b := range st.Branches {
			collectCompensations(b.Steps, out)
		}
	}
}

// findStatus returns the status of the step id in the run, or nil.
func findStatus(steps []client.StepStatus, id string) *client.StepStatus {
	for i := range steps {
		st := &steps[i]
		if st.ID == id {
			return st
		}
		for _, list := range [][]client.StepStatus{st.Steps, st.Handler} {
			if found := findStatus(list, id); found != nil {
				return found
			}
		}
		for _, b := range st.Branches {
			if found := findStatus(b.Steps, id); found != nil {
				return found
			}
		}
	}
	return nil
}

// stepDetails reads what the page shows of one step. Inside a foreach it
// shows one item, the one asked for: a step with a thousand items sends
// one item's output, not a thousand.
func stepDetails(prog *dsl.Program, details *client.RunDetails, id, item string) *stepDetail {
	step := prog.Step(id)
	info := step.Info()
	d := &stepDetail{ID: id, Kind: stepKind(step), Description: info.Description, Path: id, Item: -1, Status: findStatus(details.Status.Steps, id)}
	d.Source = sourceAt(details.Definition, info.Pointer)
	loops, _ := loopsAround(prog.Steps, id)
	env := &dsl.Env{Workflow: dsl.WorkflowInfo{ID: details.Status.WorkflowID}, Steps: map[string]any{}}
	if err := json.Unmarshal(details.Input, &env.Input); err != nil {
		env.Input = nil
	}
	outputsAt(details.Outputs, "", env.Steps)
	switch {
	case len(loops) == 1:
		loop := loops[0]
		d.Loop = loop.ID
		if st := findStatus(details.Status.Steps, loop.ID); st != nil && st.Items != nil {
			d.ItemTotal = st.Items.Total
		}
		n, err := strconv.Atoi(item)
		if err != nil || n < 0 {
			d.InputNote = "this step runs once per item: pick an item to see its input and output"
			return d
		}
		d.Item = n
		d.Path = fmt.Sprintf("%s[%d]/%s", loop.ID, n, id)
		outputsAt(details.Outputs, fmt.Sprintf("%s[%d]/", loop.ID, n), env.Steps)
		items, err := loop.Items.Eval(env)
		list, ok := items.([]any)
		if err != nil || !ok || n >= len(list) {
			d.InputNote = "the item could not be read back from the run's input"
			return d
		}
		env.Item, env.Index = list[n], n
	case len(loops) > 1:
		d.InputNote = "this step runs in nested foreach steps; `reaflow status` and the client API read its items"
		return d
	}
	if out, ok := details.Outputs[d.Path]; ok {
		d.Output = prettyJSON(out)
	}
	if a, ok := step.(*dsl.ActivityStep); ok {
		d.Key = details.StepKey(d.Path)
		if a.With != nil {
			if v, err := a.With.Eval(env); err == nil {
				raw, _ := json.Marshal(v)
				d.Input = prettyJSON(raw)
			} else {
				d.InputNote = "rendered from the run's input and the outputs before it; this one needs more than those (" + err.Error() + ")"
			}
		}
	}
	return d
}

// outputsAt adds the outputs of the steps under prefix to steps, as
// expressions see them (steps.ID.output).
func outputsAt(outputs map[string]json.RawMessage, prefix string, steps map[string]any) {
	for path, raw := range outputs {
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok || strings.Contains(rest, "/") {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) == nil {
			steps[rest] = map[string]any{"output": v}
		}
	}
}

// sourceAt is the JSON of the value at pointer in the definition text,
// indented.
func sourceAt(definition, pointer string) string {
	var doc any
	if json.Unmarshal([]byte(definition), &doc) != nil {
		return ""
	}
	v, ok := valueAt(doc, pointer)
	if !ok {
		return ""
	}
	raw, _ := json.MarshalIndent(v, "", "  ")
	return string(raw)
}

// valueAt follows a JSON pointer ("/steps/0/switch/cases/0") into doc.
func valueAt(doc any, pointer string) (any, bool) {
	if pointer == "" {
		return doc, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch v := doc.(type) {
		case map[string]any:
			var ok bool
			if doc, ok = v[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

func actionsFor(run *client.Run, prog *dsl.Program, definition string) actions {
	var a actions
	if !run.Finished() {
		a.Cancel = true
		var walk func([]client.StepStatus)
		walk = func(steps []client.StepStatus) {
			for _, st := range steps {
				if st.State == client.Waiting {
					if name, ok := strings.CutPrefix(st.WaitingFor, "signal "); ok && prog != nil {
						if await := prog.Await(name); await != nil {
							a.Signals = append(a.Signals, newSignalForm(name, await, definition))
						}
					}
					if st.CallbackID != "" {
						a.Callbacks = append(a.Callbacks, st.CallbackID)
					}
				}
				walk(st.Steps)
				walk(st.Handler)
				for _, b := range st.Branches {
					walk(b.Steps)
				}
			}
		}
		walk(run.Steps)
	}
	if run.State == client.Failed && run.RedrivenAs == "" && !run.JournalGone {
		a.Redrive = true
		if prog != nil {
			var ids []string
			var walk func([]dsl.Step)
			walk = func(steps []dsl.Step) {
				for _, s := range steps {
					switch s.(type) {
					case *dsl.ActivityStep, *dsl.SleepStep, *dsl.AwaitStep, *dsl.WorkflowStep:
						ids = append(ids, s.Info().ID)
					}
					switch s := s.(type) {
					case *dsl.SwitchStep:
						for _, c := range s.Cases {
							walk(c.Steps)
						}
						walk(s.Default)
					case *dsl.ParallelStep:
						for _, b := range s.Branches {
							walk(b.Steps)
						}
					}
				}
			}
			walk(prog.Steps)
			a.RedriveFrom = ids
		}
	}
	return a
}

// signalForm is the form of a signal an await step waits for: one field
// per property when its schema is an object of plain properties,
// otherwise a JSON text area.
type signalForm struct {
	Name   string
	Schema string
	Fields []field
}

type field struct {
	Name, Type string
	Required   bool
}

func newSignalForm(name string, await *dsl.AwaitStep, definition string) signalForm {
	f := signalForm{Name: name}
	var doc any
	if json.Unmarshal([]byte(definition), &doc) != nil {
		return f
	}
	schema, ok := valueAt(doc, await.Pointer+"/await/schema")
	if !ok {
		return f
	}
	raw, _ := json.MarshalIndent(schema, "", "  ")
	f.Schema = string(raw)
	obj, _ := schema.(map[string]any)
	props, _ := obj["properties"].(map[string]any)
	if obj["type"] != "object" || len(props) == 0 {
		return f
	}
	required := map[string]bool{}
	if list, ok := obj["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	var fields []field
	for name, p := range props {
		prop, _ := p.(map[string]any)
		typ, _ := prop["type"].(string)
		switch typ {
		case "boolean", "string", "number", "integer":
		default:
			return f
		}
		fields = append(fields, field{Name: name, Type: typ, Required: required[name]})
	}
	sort.Slice(fields, func(i, j int) bool {
		if fields[i].Required != fields[j].Required {
			return fields[i].Required
		}
		return fields[i].Name < fields[j].Name
	})
	f.Fields = fields
	return f
}
