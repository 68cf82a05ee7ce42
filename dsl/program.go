package dsl

import (
	"encoding/json"
	"time"
)

// Program is a compiled, immutable workflow definition. It is safe for
// concurrent use by any number of runs: nothing in it changes after Load.
type Program struct {
	// File is the name the definition was loaded from, for messages.
	File string
	// Name, Version and Description are the definition's own.
	Name        string
	Version     string
	Description string
	// Hash is "sha256:" and the hex digest of the canonical JSON form of
	// the definition (object keys sorted, no insignificant whitespace,
	// numbers as written, the editor-only "$schema" left out), so two
	// files that differ only in formatting have the same hash.
	Hash string
	// Canonical is the canonical JSON form the hash is computed over;
	// loading it yields a program with the same hash. (A run pins the
	// definition's text as submitted, which has this hash.)
	Canonical json.RawMessage
	// Steps run in order.
	Steps []Step
	// Output renders the workflow's result; nil when the definition has no
	// output mapping.
	Output *Template

	input *inputSchema
	index map[string]Step
}

// Step returns the step with the given id, or nil.
func (p *Program) Step(id string) Step {
	return p.index[id]
}

// Step is one node of a program. The concrete types are *ActivityStep and
// *SetStep; the set is sealed by an unexported method so a type switch over
// it is exhaustive.
type Step interface {
	// Info returns the fields every step kind has.
	Info() *StepInfo
	isStep()
}

// StepInfo holds the fields common to every step kind.
type StepInfo struct {
	// ID is unique within the definition.
	ID string
	// Pointer is the JSON pointer of the step in the file, e.g. "/steps/2".
	Pointer string
	// Description is the step's own, for people.
	Description string
	// When guards the step; nil means always run.
	When *Expr
}

// Info implements Step.
func (s *StepInfo) Info() *StepInfo { return s }

// ActivityStep calls a registered activity.
type ActivityStep struct {
	StepInfo
	// Activity is the registered name.
	Activity string
	// With renders the activity's input; nil means JSON null.
	With *Template
	// Retry is the step's retry policy; nil means the interpreter's default.
	Retry *RetryPolicy
	// Dedup, when set, evaluates to a string key; the step then runs at
	// most once per key across all workflows.
	Dedup *Expr
}

// SetStep assigns workflow variables, visible to later steps as vars.<name>.
type SetStep struct {
	StepInfo
	// Vars are assigned in the order of the definition's keys.
	Vars []Assignment
}

// Assignment is one variable of a SetStep.
type Assignment struct {
	Name  string
	Value *Template
}

func (*ActivityStep) isStep() {}
func (*SetStep) isStep()      {}

// RetryPolicy is a step's retry block, already validated.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; 0 means unlimited.
	MaxAttempts     int
	InitialInterval time.Duration
	MaxInterval     time.Duration
	BackoffFactor   float64
}

// Env is what expressions see. The interpreter owns one per run and updates
// it as steps complete. Values must be what json.Unmarshal produces into an
// any (float64 numbers, not json.Number): expressions do arithmetic on them.
// Steps maps a completed step's id to map[string]any{"output": output}; a
// skipped step has no entry, so steps.<id>.output is then nil.
type Env struct {
	Input    any            `expr:"input"`
	Steps    map[string]any `expr:"steps"`
	Vars     map[string]any `expr:"vars"`
	Workflow WorkflowInfo   `expr:"workflow"`
}

// WorkflowInfo describes the running workflow to expressions.
type WorkflowInfo struct {
	ID string `expr:"id"`
}
