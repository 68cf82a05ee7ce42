package interpreter

import (
	"errors"
	"fmt"
	"strings"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
	"github.com/reaflow/reaflow/rea"
)

// compensation is the undo of one completed step, with its input already
// rendered, so that it can travel from a block invocation to the run.
type compensation struct {
	// Step is the compensated step's id, with its foreach indexes.
	Step string       `json:"step"`
	Call activityCall `json:"call"`
}

// register records the compensation of a step that just succeeded. Its
// input is rendered now, while the step's output and the variables it saw
// are at hand; its key derives from the step's path and the role
// "compensate", so it is stable across replays and distinct per item.
func (r *runner) register(s *dsl.ActivityStep, output any) error {
	c := s.Compensate
	r.env.Steps[s.ID] = map[string]any{"output": output} // the compensation's with may use it
	call, err := r.call(&s.StepInfo, c.Activity, c.With, r.key(s.ID, rea.Role("compensate")))
	if err != nil {
		return err
	}
	name := journalname.Item(s.ID, r.loopIndexes()...)
	call.Retry = r.in.retryConfig(c.Retry, journalname.CompensationRun(name))
	r.undo = append(r.undo, compensation{Step: name, Call: call})
	return nil
}

// compensate runs the registered compensations, the most recently
// completed step's first, after cause ended the run. Each is one journaled
// Run. A compensation that fails for good does not stop the others; the
// run's error message lists what ran and, in capitals, what failed, so
// nothing is dropped silently.
func (r *runner) compensate(cause error) error {
	if len(r.undo) == 0 {
		return cause
	}
	var ran, broken []string
	for i := len(r.undo) - 1; i >= 0; i-- {
		c := r.undo[i]
		if _, err := r.journal.run(c.Call); err != nil {
			if !restate.IsTerminalError(err) {
				return err
			}
			broken = append(broken, fmt.Sprintf("%s (%s): %s", c.Step, c.Call.Activity, restate.AsTerminalError(err).Message()))
			continue
		}
		ran = append(ran, c.Step)
	}
	t := restate.AsTerminalError(cause)
	msg := t.Message()
	if len(ran) > 0 {
		msg += "; compensated: " + strings.Join(ran, ", ")
	}
	if len(broken) > 0 {
		msg += "; COMPENSATION FAILED: " + strings.Join(broken, "; ")
	}
	return restate.ToTerminalError(errors.New(msg), restate.WithErrorCode(t.Code()), restate.WithMetadataMap(t.Metadata().ToMap()))
}
