package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/rea"
)

// definition indexes a compiled definition for what the mocks and the
// checks need: its activity steps, the foreach steps by pointer (a call's
// step path names them), and the child definitions of its workflow steps.
type definition struct {
	prog *dsl.Program
	// label names the definition in messages: its file, or the workflow
	// step that runs it as a child.
	label      string
	activities map[string]*dsl.ActivityStep // activity steps by id
	steps      map[string]dsl.Step          // every step by id
	loops      map[string]string            // foreach step pointer -> id
	children   map[string]*definition       // workflow step id -> child
}

// indexDefinition walks prog and, through workflow steps, the child
// definitions inlined in it.
func indexDefinition(prog *dsl.Program, label string) (*definition, error) {
	d := &definition{prog: prog, label: label, activities: map[string]*dsl.ActivityStep{}, steps: map[string]dsl.Step{},
		loops: map[string]string{}, children: map[string]*definition{}}
	var err error
	var walk func(steps []dsl.Step)
	walk = func(steps []dsl.Step) {
		for _, step := range steps {
			info := step.Info()
			d.steps[info.ID] = step
			for _, c := range info.Catch {
				walk(c.Steps)
			}
			switch s := step.(type) {
			case *dsl.ActivityStep:
				d.activities[s.ID] = s
			case *dsl.SwitchStep:
				for _, c := range s.Cases {
					walk(c.Steps)
				}
				walk(s.Default)
			case *dsl.ParallelStep:
				for _, b := range s.Branches {
					walk(b.Steps)
				}
			case *dsl.ForeachStep:
				d.loops[s.Pointer] = s.ID
				walk(s.Steps)
			case *dsl.WorkflowStep:
				// The child is already self-contained: files were inlined
				// when the including definition was loaded.
				child, loadErr := dsl.Load(s.File, []byte(s.Definition))
				if loadErr != nil {
					err = loadErr
					continue
				}
				if d.children[s.ID], loadErr = indexDefinition(child, fmt.Sprintf("the child definition of step %q", s.ID)); loadErr != nil {
					err = loadErr
				}
			}
		}
	}
	walk(prog.Steps)
	return d, err
}

// activityNames lists every activity the definition and its children call,
// compensations included: each needs a mock in the registry, or the
// interpreter refuses the definition.
func (d *definition) activityNames() []string {
	var names []string
	var add func(d *definition)
	add = func(d *definition) {
		for _, s := range d.activities {
			names = append(names, s.Activity)
			if s.Compensate != nil {
				names = append(names, s.Compensate.Activity)
			}
		}
		for _, c := range d.children {
			add(c)
		}
	}
	add(d)
	slices.Sort(names)
	return slices.Compact(names)
}

// lookup resolves a step name as scenario files write it (ship[2],
// notify/email) to the definition that holds the step and the step's id.
// When it fails, d is the definition the name got to and id the part of
// the name that names nothing there.
func (d *definition) lookup(name string) (_ *definition, id string, ok bool) {
	parts := strings.Split(name, "/")
	for _, part := range parts[:len(parts)-1] {
		id = indexSuffix.ReplaceAllString(part, "")
		child, ok := d.children[id]
		if !ok {
			return d, id + "/", false
		}
		d = child
	}
	id = indexSuffix.ReplaceAllString(parts[len(parts)-1], "")
	_, ok = d.steps[id]
	return d, id, ok
}

// findActivity returns the activity step id of the definition or of any
// child definition, or nil.
func (d *definition) findActivity(id string) *dsl.ActivityStep {
	if s, ok := d.activities[id]; ok {
		return s
	}
	for _, name := range sortedKeys(d.children) {
		if s := d.children[name].findActivity(id); s != nil {
			return s
		}
	}
	return nil
}

var (
	indexSuffix = regexp.MustCompile(`(\[[0-9]+\])+$`)
	loopIndex   = regexp.MustCompile(`\[([0-9]+)\]`)
)

// call is how one activity call appears to the scenario: who made it and
// whether it is a step's own call or the compensation of one.
type call struct {
	name         string // step name: id, [index] per enclosing foreach, childStep/ per child run
	stepID       string
	compensation bool
}

// classify names a call from what the activity context says: the run
// (root or child) that made it, the step id, the step path with its loop
// indexes and the idempotency key. A compensation is told from the step's
// own call by its key, which the interpreter derives from the step's path
// with the role "compensate": the activity alone cannot tell them apart,
// since a step may be undone with the activity that did it. A redrive's
// own steps derive their keys from keyRoot, the run it redrives, some
// with the redrive's generation (1: a scenario redrives once); its child
// runs from their own ids.
func (d *definition) classify(rootID, keyRoot, workflowID, stepID, stepPath, key string) call {
	keyID := workflowID
	if workflowID == rootID {
		keyID = keyRoot
	}
	prefix := ""
	if rel, ok := strings.CutPrefix(workflowID, rootID+"."); ok && workflowID != rootID {
		// Child runs are <parent>.<step id>, plus .<index> inside a foreach.
		for _, seg := range strings.Split(rel, ".") {
			if _, err := strconv.Atoi(seg); err == nil {
				prefix = strings.TrimSuffix(prefix, "/") + "[" + seg + "]/"
				continue
			}
			if child, ok := d.children[seg]; ok {
				d = child
			}
			prefix += seg + "/"
		}
	}
	name := stepID
	var path []rea.KeyPart
	resolved := true
	for _, m := range loopIndex.FindAllStringSubmatchIndex(stepPath, -1) {
		index, _ := strconv.Atoi(stepPath[m[2]:m[3]])
		name += "[" + stepPath[m[2]:m[3]] + "]"
		loopID, ok := d.loops[loopIndex.ReplaceAllString(stepPath[:m[0]], "")]
		if !ok {
			resolved = false
		}
		path = append(path, rea.Step(loopID), rea.Index(index))
	}
	c := call{name: prefix + name, stepID: stepID}
	if resolved {
		path = append(path, rea.Step(stepID))
		c.compensation = key == rea.IdempotencyKey(keyID, append(path, rea.Role("compensate"))...) ||
			key == rea.IdempotencyKey(keyID, append(path, rea.Role("redrive"), rea.Index(1), rea.Role("compensate"))...)
	}
	return c
}
