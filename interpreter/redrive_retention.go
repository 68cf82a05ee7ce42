package interpreter

import (
	"time"

	restate "github.com/restatedev/sdk-go"
)

// DefaultRedriveWindow is how long Restate keeps a finished run of the
// Reaflow workflow, and its journal, unless WithRedriveWindow says
// otherwise. A redrive reads the failed run's journal, so this is how long
// after its end a failed run can be redriven; it matches the 14 days AWS
// Step Functions keeps an execution for its redrive. Restate's own
// default is one day.
const DefaultRedriveWindow = 14 * 24 * time.Hour

// WithRedriveWindow sets how long Restate keeps finished runs and their
// journals (the workflow and journal retention of the Reaflow workflow),
// and so how long a failed run can be redriven. Zero leaves Restate's
// defaults (one day).
func WithRedriveWindow(d time.Duration) Option { return func(c *config) { c.redriveWindow = &d } }

// retention returns the service options that keep runs for the window.
func (c *config) retention() []restate.ServiceDefinitionOption {
	d := DefaultRedriveWindow
	if c.redriveWindow != nil {
		d = *c.redriveWindow
	}
	if d <= 0 {
		return nil
	}
	return []restate.ServiceDefinitionOption{restate.WithWorkflowRetention(d), restate.WithJournalRetention(d)}
}
