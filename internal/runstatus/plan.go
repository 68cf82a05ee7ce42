package runstatus

import (
	"fmt"
	"strings"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
)

// plan is a compiled definition arranged for reading journals: every step
// knows the list it is in and the lists it holds, so an entry named by a
// step id can be placed in any list around it.
type plan struct {
	prog  *dsl.Program
	top   *stepList
	nodes map[string]*node
}

// stepList is one list of steps: the definition's, a switch case's, a
// parallel branch's, a foreach body or a catch handler's.
type stepList struct {
	nodes []*node
	// owner is the step holding the list; nil for the definition's steps.
	owner *node
	// label names the list for people: "case 2", "default", a branch name.
	label string
}

type node struct {
	step  dsl.Step
	info  *dsl.StepInfo
	list  *stepList
	index int
	// cases are a switch's case lists, the default's last.
	cases []*stepList
	// branches are a parallel step's branches, in the definition's order.
	branches []*stepList
	// body is a foreach step's steps.
	body *stepList
	// handlers are the step's catch handlers.
	handlers []*stepList
}

func newPlan(prog *dsl.Program) *plan {
	p := &plan{prog: prog, nodes: map[string]*node{}}
	p.top = p.list(prog.Steps, nil, "")
	return p
}

func (p *plan) list(steps []dsl.Step, owner *node, label string) *stepList {
	l := &stepList{owner: owner, label: label, nodes: make([]*node, len(steps))}
	for i, s := range steps {
		n := &node{step: s, info: s.Info(), list: l, index: i}
		l.nodes[i] = n
		p.nodes[n.info.ID] = n
		switch s := s.(type) {
		case *dsl.SwitchStep:
			for k, c := range s.Cases {
				n.cases = append(n.cases, p.list(c.Steps, n, fmt.Sprintf("case %d", k+1)))
			}
			if s.Default != nil {
				n.cases = append(n.cases, p.list(s.Default, n, "default"))
			}
		case *dsl.ParallelStep:
			for _, b := range s.Branches {
				n.branches = append(n.branches, p.list(b.Steps, n, b.Name))
			}
		case *dsl.ForeachStep:
			n.body = p.list(s.Steps, n, "each")
		}
		for k, c := range n.info.Catch {
			n.handlers = append(n.handlers, p.list(c.Steps, n, fmt.Sprintf("catch %d", k+1)))
		}
	}
	return l
}

// position returns the index in l of the step id, or of the step of l
// that holds it at any depth; -1 when l does not hold it.
func (p *plan) position(id string, l *stepList) int {
	for n := p.nodes[id]; n != nil; n = n.list.owner {
		if n.list == l {
			return n.index
		}
	}
	return -1
}

// within returns the list of owner's that holds the step id at any depth,
// or nil.
func (p *plan) within(id string, owner *node) *stepList {
	for n := p.nodes[id]; n != nil; n = n.list.owner {
		if n.list.owner == owner {
			return n.list
		}
	}
	return nil
}

// outerForeach returns the outermost foreach step around n, or nil.
func (p *plan) outerForeach(n *node) *node {
	var outer *node
	for o := n.list.owner; o != nil; o = o.list.owner {
		if _, ok := o.step.(*dsl.ForeachStep); ok {
			outer = o
		}
	}
	return outer
}

// sleepUntil returns the first step at or after position i of l, at any
// depth, that sleeps until a time: the one a journaled clock read belongs
// to.
func (p *plan) sleepUntil(l *stepList, i int) string {
	for _, n := range l.nodes[min(i, len(l.nodes)):] {
		if id := n.sleepUntil(); id != "" {
			return id
		}
	}
	return ""
}

func (n *node) sleepUntil() string {
	if s, ok := n.step.(*dsl.SleepStep); ok && s.Until != nil {
		return n.info.ID
	}
	for _, lists := range [][]*stepList{n.cases, n.branches, {n.body}, n.handlers} {
		for _, l := range lists {
			if l == nil {
				continue
			}
			for _, c := range l.nodes {
				if id := c.sleepUntil(); id != "" {
					return id
				}
			}
		}
	}
	return ""
}

// workflowStep returns the id of the workflow step whose child run has
// the key: the run's id, the step id and the loop indexes, joined by dots.
func (p *plan) workflowStep(runID, key string) string {
	id, ok := journalname.ParseChildRunID(runID, key)
	if n := p.nodes[id]; ok && n != nil {
		if _, isChild := n.step.(*dsl.WorkflowStep); isChild {
			return id
		}
	}
	return ""
}

// kind names a step's kind for people and for the JSON status; activity
// steps have none, their activity says what they do.
func kind(s dsl.Step) string {
	switch s.(type) {
	case *dsl.ActivityStep:
		return ""
	case *dsl.SetStep:
		return "set"
	case *dsl.SwitchStep:
		return "switch"
	case *dsl.ParallelStep:
		return "parallel"
	case *dsl.ForeachStep:
		return "foreach"
	case *dsl.SleepStep:
		return "sleep"
	case *dsl.AwaitStep:
		return "await"
	case *dsl.FailStep:
		return "fail"
	case *dsl.ReturnStep:
		return "return"
	case *dsl.WorkflowStep:
		return "workflow"
	}
	return strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", s), "*dsl."), "Step")
}
