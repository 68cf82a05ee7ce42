package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/dsl"
)

// The run page draws a definition from its program's tree, as nested
// boxes: a list of steps stacks top to bottom, a step that holds lists
// (switch cases, parallel branches, a foreach's body, catch handlers)
// holds them side by side as lanes. That is the structure a definition
// has, so HTML and CSS flexbox lay it out without a general graph layout
// (which would have to rediscover the nesting from edges, and would be a
// library to ship or write).

// box is one step in the drawing.
type box struct {
	ID string
	// Kind says what the step does ("activity charge", "await signal
	// approve", "foreach input.lines").
	Kind string
	// State is the step's state in the run; "" for a definition alone.
	State client.State
	// Note is a short line under the kind: attempts, what it waits for.
	Note string
	// Items counts a foreach step's items.
	Items *client.ItemCounts
	// InLoop marks the steps of a foreach's body, whose state is per item.
	InLoop   bool
	Selected bool
	Lanes    []lane
}

// lane is a list of steps held by a step.
type lane struct {
	Label string
	// State is a branch's state; Taken is false for a switch case that
	// did not run.
	State client.State
	Taken bool
	Boxes []*box
}

// drawing builds the boxes of the program, with the states of status
// (nil for a definition alone) and the step selected marked.
type drawing struct {
	byID     map[string]*client.StepStatus
	branches map[string]client.BranchStatus
	selected string
	live     bool
}

func newDrawing(run *client.Run, selected string) *drawing {
	d := &drawing{byID: map[string]*client.StepStatus{}, branches: map[string]client.BranchStatus{}, selected: selected, live: run != nil}
	if run != nil {
		d.index(run.Steps)
	}
	return d
}

func (d *drawing) index(steps []client.StepStatus) {
	for i := range steps {
		st := &steps[i]
		d.byID[st.ID] = st
		d.index(st.Steps)
		d.index(st.Handler)
		for _, b := range st.Branches {
			d.branches[st.ID+"/"+b.Name] = b
			d.index(b.Steps)
		}
	}
}

func (d *drawing) list(steps []dsl.Step, inLoop bool) []*box {
	boxes := make([]*box, 0, len(steps))
	for _, s := range steps {
		boxes = append(boxes, d.step(s, inLoop))
	}
	return boxes
}

func (d *drawing) step(s dsl.Step, inLoop bool) *box {
	info := s.Info()
	b := &box{ID: info.ID, Kind: stepKind(s), InLoop: inLoop, Selected: info.ID == d.selected}
	st := d.byID[info.ID]
	switch {
	case st != nil:
		b.State, b.Items = st.State, st.Items
		b.Note = stepNote(st)
	case d.live && !inLoop:
		b.State = client.Pending
	}
	switch s := s.(type) {
	case *dsl.SwitchStep:
		for i, c := range s.Cases {
			label := fmt.Sprintf("case %d", i+1)
			b.Lanes = append(b.Lanes, lane{Label: label + ": " + c.When.Source, Taken: !d.live || st != nil && st.Case == label, Boxes: d.list(c.Steps, inLoop)})
		}
		if s.Default != nil {
			b.Lanes = append(b.Lanes, lane{Label: "default", Taken: !d.live || st != nil && st.Case == "default", Boxes: d.list(s.Default, inLoop)})
		}
	case *dsl.ParallelStep:
		for _, br := range s.Branches {
			l := lane{Label: "branch " + br.Name, Taken: true, Boxes: d.list(br.Steps, inLoop)}
			if bs, ok := d.branches[info.ID+"/"+br.Name]; ok {
				l.State = bs.State
			}
			b.Lanes = append(b.Lanes, l)
		}
	case *dsl.ForeachStep:
		b.Lanes = append(b.Lanes, lane{Label: "each item", Taken: true, Boxes: d.list(s.Steps, true)})
	}
	for i, c := range info.Catch {
		what := "catch any error"
		if len(c.Errors) > 0 {
			what = "catch " + strings.Join(c.Errors, ", ")
		}
		taken := !d.live || st != nil && st.State == client.Caught && i == 0
		b.Lanes = append(b.Lanes, lane{Label: what, Taken: taken, Boxes: d.list(c.Steps, inLoop)})
	}
	return b
}

// stepKind is the line that says what a step does.
func stepKind(s dsl.Step) string {
	switch s := s.(type) {
	case *dsl.ActivityStep:
		k := "activity " + s.Activity
		if s.Callback {
			k += " (callback)"
		}
		if s.Compensate != nil {
			k += ", undo " + s.Compensate.Activity
		}
		return k
	case *dsl.SetStep:
		return "set"
	case *dsl.SwitchStep:
		return "switch"
	case *dsl.ParallelStep:
		return "parallel"
	case *dsl.ForeachStep:
		return fmt.Sprintf("foreach %s, %d at once", s.Items.Source, s.Concurrency)
	case *dsl.SleepStep:
		if s.Until != nil {
			return "sleep until " + s.Until.Source
		}
		return "sleep " + s.Duration.String()
	case *dsl.AwaitStep:
		return "await signal " + s.Signal
	case *dsl.FailStep:
		return "fail " + s.Error
	case *dsl.ReturnStep:
		return "return"
	case *dsl.WorkflowStep:
		return "child run"
	}
	return ""
}

func stepNote(st *client.StepStatus) string {
	var parts []string
	if st.WaitingFor != "" {
		parts = append(parts, "waits for "+st.WaitingFor)
	}
	if st.Attempts > 0 {
		parts = append(parts, fmt.Sprintf("%d failed attempts", st.Attempts))
	}
	if st.Until != nil {
		parts = append(parts, "until "+st.Until.UTC().Format(time.TimeOnly))
	}
	if took, ok := stepTook(st); ok {
		parts = append(parts, "took "+humanDuration(took))
	}
	return strings.Join(parts, "; ")
}

// stepTook is how long a finished step took, from its first journal
// entry to the result that finished it; false for a step that journaled
// nothing or has not finished.
func stepTook(st *client.StepStatus) (time.Duration, bool) {
	if st.StartedAt == nil || st.EndedAt == nil {
		return 0, false
	}
	return st.EndedAt.Sub(*st.StartedAt), true
}

// loopsAround returns the foreach steps around the step id, outermost
// first; nil outside foreach steps.
func loopsAround(steps []dsl.Step, id string) ([]*dsl.ForeachStep, bool) {
	for _, s := range steps {
		if s.Info().ID == id {
			return nil, true
		}
		var lists [][]dsl.Step
		var loop *dsl.ForeachStep
		switch s := s.(type) {
		case *dsl.SwitchStep:
			for _, c := range s.Cases {
				lists = append(lists, c.Steps)
			}
			lists = append(lists, s.Default)
		case *dsl.ParallelStep:
			for _, b := range s.Branches {
				lists = append(lists, b.Steps)
			}
		case *dsl.ForeachStep:
			loop = s
			lists = append(lists, s.Steps)
		}
		for _, c := range s.Info().Catch {
			lists = append(lists, c.Steps)
		}
		for _, l := range lists {
			if loops, ok := loopsAround(l, id); ok {
				if loop != nil {
					loops = append([]*dsl.ForeachStep{loop}, loops...)
				}
				return loops, true
			}
		}
	}
	return nil, false
}
