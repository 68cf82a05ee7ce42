package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reaflow/reaflow/internal/redrive"
	"github.com/restatedev/sdk-go/ingress"
)

// Redrive types: what a redrive does is decided by the failed run's
// journal (see the README's Redrive section), so one shape serves the CLI
// and applications.
type (
	// RedriveOptions say how to redrive a run: the new id, a step to run
	// again from, a fixed definition.
	RedriveOptions = redrive.Options
	// RedriveDefinition is a fixed definition's text with its program
	// (dsl.Load it first, so that nothing starts when it is invalid).
	RedriveDefinition = redrive.Definition
	// RedrivePlan is a prepared redrive: the run it starts and, for each
	// step, whether it is reused or runs.
	RedrivePlan = redrive.Plan
	// RedriveStep is what a redrive does with one step.
	RedriveStep = redrive.StepPlan
	// FailedRunFilter selects failed runs for a bulk redrive.
	FailedRunFilter = redrive.Filter
	// FailedRun is a failed run that can be redriven.
	FailedRun = redrive.Candidate
)

// ErrCannotRedrive is wrapped by the error of a run that cannot be
// redriven: still running, completed, redriven already, undone by its
// compensations, or unknown to Restate (never started, or past the
// redrive window: that error is ErrNotFound too). The message says which.
var ErrCannotRedrive = redrive.ErrRefused

// PlanRedrive reads the failed run's journal and returns what its redrive
// would reuse and run. Nothing starts. A run that cannot be redriven is
// ErrCannotRedrive; an unknown one also ErrNotFound (a *NotFoundError).
func (c *Client) PlanRedrive(ctx context.Context, id string, opts RedriveOptions) (*RedrivePlan, error) {
	if opts.ID != "" {
		if err := ValidateID(opts.ID); err != nil {
			return nil, err
		}
	}
	plan, err := redrive.Prepare(ctx, c.admin, id, opts)
	var unknown *redrive.UnknownRunError
	if errors.As(err, &unknown) {
		return nil, fmt.Errorf("%w: %w", ErrCannotRedrive, &NotFoundError{What: "run", Name: id, Message: unknown.Error()})
	}
	return plan, err
}

// StartRedrive starts a planned redrive. A run that has the plan's id
// already is not this redrive: it is refused rather than attached to.
// With WithDeployToken the token goes along: an endpoint under the run
// policy takes redrives, whose reused outputs stand in for steps, only
// with it.
func (c *Client) StartRedrive(ctx context.Context, plan *RedrivePlan) error {
	attached, err := c.send(ctx, plan.ID, plan.Request, withDeployToken[ingress.SendOption](c, nil)...)
	if err != nil {
		return c.unreachable(err)
	}
	if attached {
		return fmt.Errorf("%w %s: a run %s exists already; redrive with another id", ErrCannotRedrive, plan.Of, plan.ID)
	}
	return nil
}

// Redrive starts a new run that continues the failed run id from where it
// failed, reusing the outputs of the steps it completed, and returns its
// plan (plan.ID is the new run). Follow it with Attach or Watch.
func (c *Client) Redrive(ctx context.Context, id string, opts RedriveOptions) (*RedrivePlan, error) {
	plan, err := c.PlanRedrive(ctx, id, opts)
	if err != nil {
		return nil, err
	}
	return plan, c.StartRedrive(ctx, plan)
}

// FailedRuns lists the failed runs the filter selects that are not
// redriven yet, newest first.
func (c *Client) FailedRuns(ctx context.Context, f FailedRunFilter) ([]FailedRun, error) {
	return redrive.Failed(ctx, c.admin, f, time.Now())
}
