package dsl

import (
	"encoding/json"
	"slices"
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
	// Inlined is true when child definitions were read from files
	// (WithFiles) into Canonical: the file's text alone no longer says
	// what runs, so Canonical is what to submit.
	Inlined bool
	// Steps run in order.
	Steps []Step
	// Output renders the workflow's result; nil when the definition has no
	// output mapping.
	Output *Template
	// Timeout bounds the whole run; 0 means none.
	Timeout time.Duration
	// Signals are the names of the definition's await steps, in order.
	Signals []string
	// Warnings are problems that do not stop the definition from running,
	// such as a catch handler for an error code nothing declares.
	Warnings ErrorList

	input *inputSchema
	index map[string]Step
}

// Step returns the step with the given id, at any depth, or nil.
func (p *Program) Step(id string) Step {
	return p.index[id]
}

// Await returns the await step waiting for the named signal, or nil.
func (p *Program) Await(signal string) *AwaitStep {
	for _, s := range p.index {
		if a, ok := s.(*AwaitStep); ok && a.Signal == signal {
			return a
		}
	}
	return nil
}

// Step is one node of a program. The concrete types are *ActivityStep,
// *SetStep, *SwitchStep, *ParallelStep, *ForeachStep, *SleepStep,
// *AwaitStep, *FailStep, *ReturnStep and *WorkflowStep; the set is sealed by an
// unexported method so a type switch over it is exhaustive.
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
	// Timeout fails the step with the error code "timeout" when it has
	// not finished in time; 0 means no limit.
	Timeout time.Duration
	// Catch handles the step's failure; tried in order.
	Catch []*Catch
}

// Catch is one error handler of a step.
type Catch struct {
	// Pointer locates the handler in the file.
	Pointer string
	// Errors are the codes the handler takes; empty takes every error.
	Errors []string
	// Steps run with error.code, error.message and error.step set.
	Steps []Step
}

// Matches reports whether the handler takes an error with this code.
func (c *Catch) Matches(code string) bool {
	return len(c.Errors) == 0 || slices.Contains(c.Errors, code)
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
	// Callback makes the step wait, after the activity returns, until an
	// outside system resolves or rejects the callback the activity was
	// given; the resolved value is the step's output.
	Callback bool
	// Compensate undoes the step if the run fails later; nil for none.
	Compensate *Compensation
}

// Compensation is the activity call that undoes a completed step.
type Compensation struct {
	Pointer  string
	Activity string
	// With is rendered once the step succeeds; it sees the step's output.
	With  *Template
	Retry *RetryPolicy
}

// SwitchStep runs the steps of the first case whose condition holds.
type SwitchStep struct {
	StepInfo
	Cases []*Case
	// Default runs when no case matches; nil for none.
	Default []Step
}

// Case is one branch of a SwitchStep.
type Case struct {
	When  *Expr
	Steps []Step
}

// ParallelStep runs its branches concurrently.
type ParallelStep struct {
	StepInfo
	Branches []*Branch
	// FailFast fails the step on the first failed branch and cancels the
	// others; otherwise every branch finishes first.
	FailFast bool
}

// Branch is one named list of steps of a ParallelStep.
type Branch struct {
	Name  string
	Steps []Step
}

// Branch returns the branch with the given name, or nil.
func (p *ParallelStep) Branch(name string) *Branch {
	for _, b := range p.Branches {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// ForeachStep runs its steps once per item of an array.
type ForeachStep struct {
	StepInfo
	Items       *Expr
	Concurrency int
	Steps       []Step
}

// SleepStep waits durably for a fixed duration or until a time.
type SleepStep struct {
	StepInfo
	Duration time.Duration
	// Until gives an RFC 3339 time or Unix milliseconds; nil when
	// Duration is set.
	Until *Expr
}

// AwaitStep waits for a named signal.
type AwaitStep struct {
	StepInfo
	Signal string
	// OnTimeout is the output used when the step's timeout expires; nil
	// fails the step instead.
	OnTimeout *Template

	schema *inputSchema
}

// ValidatePayload checks a signal's payload against the step's schema;
// without one, only that it is JSON within the limits on nesting and
// numbers. Problems are returned as an ErrorList whose File
// is "signal NAME".
func (a *AwaitStep) ValidatePayload(payload json.RawMessage) error {
	return a.schema.validate("signal "+a.Signal, payload)
}

// FailStep fails with an error code and message.
type FailStep struct {
	StepInfo
	Error   string
	Message *Template
}

// WorkflowStep runs another definition as a child run.
type WorkflowStep struct {
	StepInfo
	// Definition is the child's definition text, self-contained (a file
	// reference is already inlined); File names it in messages.
	Definition string
	File       string
	// Input renders the child's input; nil means no input.
	Input *Template
	// Wait makes the step wait for the child's output.
	Wait bool
}

// ReturnStep ends the run with an output.
type ReturnStep struct {
	StepInfo
	Output *Template
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
func (*SwitchStep) isStep()   {}
func (*ParallelStep) isStep() {}
func (*ForeachStep) isStep()  {}
func (*SleepStep) isStep()    {}
func (*AwaitStep) isStep()    {}
func (*FailStep) isStep()     {}
func (*ReturnStep) isStep()   {}
func (*WorkflowStep) isStep() {}

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
	// Item and Index are the current element of the innermost foreach.
	Item  any `expr:"item"`
	Index int `expr:"index"`
	// Error is the error a catch handler is handling.
	Error ErrorInfo `expr:"error"`

	// budget is what the evaluation running with this Env may still
	// spend; set on the evaluation's own copy (see Expr.run).
	budget *budget
}

// ErrorInfo describes a step's failure to a catch handler.
type ErrorInfo struct {
	Code    string `expr:"code" json:"code"`
	Message string `expr:"message" json:"message"`
	Step    string `expr:"step" json:"step"`
}

// WorkflowInfo describes the running workflow to expressions.
type WorkflowInfo struct {
	ID string `expr:"id" json:"id"`
}
