package client

import (
	"context"
	"errors"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/interpreter"
)

// scheduleRequest calls a handler of the schedule object name. Changes
// carry the deploy token (WithDeployToken), as deploys do. A request the
// schedule (or Restate) turns down is a *RefusedError: 404 for a schedule
// that does not exist, 400 for a spec that does not check, 401 or 403
// for a change without the deploy token the endpoint asks for.
func scheduleRequest[I, O any](ctx context.Context, c *Client, name, handler string, change bool, in I) (*O, error) {
	var opts []ingress.RequestOption
	if change {
		opts = withDeployToken(c, opts)
	}
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	out, err := ingress.Object[I, O](c.ingress, interpreter.ScheduleService, name, handler).Request(ctx, in, opts...)
	var answer ingress.Error
	switch {
	case err == nil:
		return &out, nil
	case errors.As(err, &answer):
		return nil, &RefusedError{Code: int(answer.Code()), Message: answer.Message(), ByRun: answer.IsInvocationError()}
	}
	return nil, c.unreachable(err)
}

// CreateSchedule stores a new schedule and arms its first fire. A spec
// that does not check (a malformed cron, an unknown time zone, an
// interval under 1s, a workflow not deployed, an input its schema
// refuses) is refused and nothing is stored.
func (c *Client) CreateSchedule(ctx context.Context, name string, spec interpreter.ScheduleSpec) (*interpreter.ScheduleInfo, error) {
	return scheduleRequest[interpreter.ScheduleSpec, interpreter.ScheduleInfo](ctx, c, name, "Create", true, spec)
}

// UpdateSchedule replaces a schedule's spec, keeping its fires and runs.
func (c *Client) UpdateSchedule(ctx context.Context, name string, spec interpreter.ScheduleSpec) (*interpreter.ScheduleInfo, error) {
	return scheduleRequest[interpreter.ScheduleSpec, interpreter.ScheduleInfo](ctx, c, name, "Update", true, spec)
}

// DeleteSchedule deletes a schedule; it never fires again, and its runs
// in flight go on.
func (c *Client) DeleteSchedule(ctx context.Context, name string) error {
	_, err := scheduleRequest[restate.Void, restate.Void](ctx, c, name, "Delete", true, restate.Void{})
	return err
}

// PauseSchedule stops a schedule's fires until ResumeSchedule; note says
// why.
func (c *Client) PauseSchedule(ctx context.Context, name, note string) (*interpreter.ScheduleInfo, error) {
	return scheduleRequest[string, interpreter.ScheduleInfo](ctx, c, name, "Pause", true, note)
}

// ResumeSchedule fires again from the next fire time after now.
func (c *Client) ResumeSchedule(ctx context.Context, name string) (*interpreter.ScheduleInfo, error) {
	return scheduleRequest[restate.Void, interpreter.ScheduleInfo](ctx, c, name, "Resume", true, restate.Void{})
}

// TriggerSchedule fires a schedule now, under its overlap policy.
func (c *Client) TriggerSchedule(ctx context.Context, name string) (*interpreter.Fire, error) {
	return scheduleRequest[restate.Void, interpreter.Fire](ctx, c, name, "Trigger", true, restate.Void{})
}

// BackfillSchedule starts the runs of the fires the schedule has in
// [from, to], each under its fire's run id, so a range backfilled twice
// runs once.
func (c *Client) BackfillSchedule(ctx context.Context, name string, from, to time.Time) ([]interpreter.Fire, error) {
	fires, err := scheduleRequest[interpreter.BackfillRequest, []interpreter.Fire](ctx, c, name, "Backfill", true, interpreter.BackfillRequest{From: from, To: to})
	if err != nil {
		return nil, err
	}
	return *fires, nil
}

// DescribeSchedule returns a schedule with its next and recent fires.
func (c *Client) DescribeSchedule(ctx context.Context, name string) (*interpreter.ScheduleInfo, error) {
	return scheduleRequest[restate.Void, interpreter.ScheduleInfo](ctx, c, name, "Describe", false, restate.Void{})
}

// Schedules returns the names of the schedules, in order.
func (c *Client) Schedules(ctx context.Context) ([]string, error) {
	rows, err := c.admin.Query(ctx, `SELECT DISTINCT service_key FROM state WHERE service_name = '`+interpreter.ScheduleService+`' AND key = 'schedule' ORDER BY service_key`)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, row := range rows {
		if name, ok := row["service_key"].(string); ok {
			names = append(names, name)
		}
	}
	return names, nil
}
