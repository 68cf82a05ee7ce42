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
	// Logger is tagged with the workflow and step ids.
	Logger *slog.Logger
}

// NewContext returns an activity context for a call outside of a workflow,
// for tests and examples. Fields left empty in info stay empty.
func NewContext(ctx context.Context, info Context) *Context {
	info.Context = ctx
	if info.Logger == nil {
		info.Logger = slog.Default()
	}
	info.Logger = info.Logger.With("workflow", info.WorkflowID, "step", info.StepID)
	return &info
}
