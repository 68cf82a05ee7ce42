package activities

import (
	"context"
	"log/slog"
)

// Context is what an activity call receives. It carries the call's
// cancellation and deadline (as a context.Context) and the identity of the
// step that made the call.
type Context struct {
	context.Context

	// IdempotencyKey is stable across retries and replays of this step and
	// unique per (workflow id, step path, loop index). Send it to every
	// provider that applies an effect.
	IdempotencyKey string
	// WorkflowID is the id of the run that called the activity.
	WorkflowID string
	// StepID is the id of the calling step in the definition.
	StepID string
	// StepPath locates the step within the definition, including loop
	// indexes, for example "/steps/2".
	StepPath string
	// CallbackID is set for a step marked "callback": hand it to the
	// outside system that will finish the work; the step completes when
	// that system resolves it (or fails when it rejects it), for example
	// with `reaflow resolve CALLBACK_ID JSON`. Resolving it twice, or
	// after the step timed out, has no effect.
	CallbackID string

	baseLogger *slog.Logger
	logger     *slog.Logger
}

// NewContext returns the context of one activity call; logger (nil for
// slog.Default()) is tagged with the workflow and step ids when the
// activity first asks for it.
func NewContext(ctx context.Context, info Context, logger *slog.Logger) *Context {
	info.Context = ctx
	info.baseLogger = logger
	info.logger = nil
	return &info
}

// Logger returns a logger tagged with the workflow and step ids. It is
// built on first use: most calls never log, and tagging costs more than
// many activities do.
func (c *Context) Logger() *slog.Logger {
	if c.logger == nil {
		base := c.baseLogger
		if base == nil {
			base = slog.Default()
		}
		c.logger = base.With("workflow", c.WorkflowID, "step", c.StepID)
	}
	return c.logger
}
