package dsl

import (
	"fmt"
	"slices"
	"strings"
)

// Error codes the interpreter gives failures, besides the activities' own
// and those of fail steps. They are declared here, where catch handlers are
// checked, so that the codes the interpreter fails with and those the check
// accepts are the same constants.
const (
	// CodeTimeout: a step or the workflow ran past its timeout.
	CodeTimeout = "timeout"
	// CodeCallbackRejected: an outside system rejected a step's callback.
	CodeCallbackRejected = "callback_rejected"
	// CodeFailed: an activity failed without a code of its own, for
	// example when its retries ran out.
	CodeFailed = "failed"
	// CodeOutputTooLarge: a step's output exceeds the interpreter's
	// limit (interpreter.WithMaxStepOutputSize, WithMaxMessageSize).
	CodeOutputTooLarge = "output_too_large"
)

// InterpreterErrors are the error codes the interpreter itself gives
// failures, which catch handlers can always match.
var InterpreterErrors = []string{CodeTimeout, CodeCallbackRejected, CodeFailed, CodeOutputTooLarge}

// checkCatches warns about catch handlers listing a code that nothing in
// the definition can fail with: no activity it calls declares it, no fail
// step uses it, and the interpreter does not produce it. It needs to know
// every called activity's codes (WithActivityErrors); one activity that
// may fail with any code makes every code possible.
func (c *checker) checkCatches(p *Program) {
	if c.cfg.errors == nil || len(c.errs) > 0 {
		return
	}
	possible := map[string]bool{}
	for _, code := range InterpreterErrors {
		possible[code] = true
	}
	var activities []string
	var handlers []*Catch
	for _, s := range p.index {
		switch s := s.(type) {
		case *ActivityStep:
			activities = append(activities, s.Activity)
			if s.Compensate != nil {
				activities = append(activities, s.Compensate.Activity)
			}
		case *FailStep:
			possible[s.Error] = true
		}
		handlers = append(handlers, s.Info().Catch...)
	}
	for _, name := range activities {
		codes, declared := c.cfg.errors(name)
		if !declared {
			return
		}
		for _, code := range codes {
			possible[code] = true
		}
	}
	known := make([]string, 0, len(possible))
	for code := range possible {
		known = append(known, code)
	}
	slices.Sort(known)
	for _, h := range handlers {
		for i, code := range h.Errors {
			if !possible[code] {
				msg := fmt.Sprintf("no activity or fail step of this definition fails with %q, so this handler never runs for it", code) + c.suggest(code, known) +
					"; possible codes: " + strings.Join(known, ", ")
				ptr := fmt.Sprintf("%s/errors/%d", h.Pointer, i)
				v, _ := c.doc.lookup(ptr)
				if v != nil {
					p.Warnings = append(p.Warnings, c.doc.errorAt(ptr, v.offset, msg))
				}
			}
		}
	}
	p.Warnings.Sort()
}
