package client_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
)

// failReservation runs a reservation of a sold-out item to its failure
// and returns its id and the item. name, when set, renames the definition.
func failReservation(t *testing.T, c *client.Client, name string) (id, item string) {
	t.Helper()
	id = uniqueID(t)
	item = "item-" + id
	definition := reservation
	if name != "" {
		definition = strings.Replace(reservation, `"name": "reservation"`, `"name": "`+name+`"`, 1)
	}
	submit(t, c, definition, `{"item": "`+item+`"}`, id)
	_, err := c.Attach(t.Context(), id)
	var failed *client.RunError
	require.ErrorAs(t, err, &failed)
	require.Equal(t, "sold_out", failed.ErrorCode)
	return id, item
}

func TestPlanStartAndRedrive(t *testing.T) {
	c := newClient(t)
	name := "reservation-" + strings.ToLower(uniqueID(t))
	id, item := failReservation(t, c, name)

	failed, err := c.FailedRuns(t.Context(), client.FailedRunFilter{Workflow: name})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	assert.Equal(t, id, failed[0].ID)
	assert.Equal(t, name, failed[0].Definition)

	plan, err := c.PlanRedrive(t.Context(), id, client.RedriveOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, plan.Of)
	assert.Equal(t, id+"-redrive-1", plan.ID)
	assert.Equal(t, []client.RedriveStep{
		{ID: "hi", Path: "hi", Reused: 1},
		{ID: "hold", Path: "hold", NewKeys: 1},
		{ID: "bye", Path: "bye"},
	}, plan.Steps, "hi is reused; hold refused, so it runs with a new key")
	_, err = c.Status(t.Context(), plan.ID)
	require.ErrorIs(t, err, client.ErrNotFound, "planning starts nothing")

	restock(item)
	require.NoError(t, c.StartRedrive(t.Context(), plan))
	out, err := c.Attach(t.Context(), plan.ID)
	require.NoError(t, err)
	assert.JSONEq(t, `{"hi": "hello `+item+`", "bye": "hello res-`+item+`"}`, string(out))
	assert.Equal(t, 1, callsOf("greet", item), "the reused step is not called again")
	assert.Equal(t, 2, callsOf("reserve", item))

	run, err := c.Status(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, plan.ID, run.RedrivenAs)
	run, err = c.Status(t.Context(), plan.ID)
	require.NoError(t, err)
	assert.Equal(t, id, run.RedriveOf)
	assert.Equal(t, client.Done, run.State)
	assert.Equal(t, []client.StepStatus{
		{ID: "hi", Activity: "greet", State: client.Done, Reused: true},
		{ID: "hold", Activity: "reserve", State: client.Done},
		{ID: "bye", Activity: "greet", State: client.Done},
	}, untimed(t, run.Steps))
	failed, err = c.FailedRuns(t.Context(), client.FailedRunFilter{Workflow: name})
	require.NoError(t, err)
	assert.Empty(t, failed, "a redriven run is not listed again")

	// Starting the plan again attaches to nothing: the id is taken.
	err = c.StartRedrive(t.Context(), plan)
	require.ErrorIs(t, err, client.ErrCannotRedrive)
	assert.Contains(t, err.Error(), "a run "+plan.ID+" exists already")
}

func TestRedriveWithOptions(t *testing.T) {
	c := newClient(t)
	id, item := failReservation(t, c, "")
	restock(item)
	plan, err := c.Redrive(t.Context(), id, client.RedriveOptions{ID: id + "-again", From: "hi"})
	require.NoError(t, err)
	assert.Equal(t, id+"-again", plan.ID)
	assert.Equal(t, client.RedriveStep{ID: "hi", Path: "hi", NewKeys: 1}, plan.Steps[0], "--from runs hi again")
	_, err = c.Attach(t.Context(), plan.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, callsOf("greet", item))

	_, err = c.PlanRedrive(t.Context(), id, client.RedriveOptions{ID: "a/b"})
	require.ErrorIs(t, err, client.ErrInvalidID)
	_, err = c.PlanRedrive(t.Context(), plan.ID, client.RedriveOptions{From: "nowhere"})
	require.ErrorIs(t, err, client.ErrCannotRedrive, "a completed run, whatever the options")
}

func TestRedriveRefusals(t *testing.T) {
	c := newClient(t)
	id, item := failReservation(t, c, "")
	restock(item)
	plan, err := c.Redrive(t.Context(), id, client.RedriveOptions{})
	require.NoError(t, err)
	_, err = c.Attach(t.Context(), plan.ID)
	require.NoError(t, err)

	waiting := uniqueID(t) + "-waiting"
	submit(t, c, approval, `{}`, waiting)
	waitFor(t, c, waiting, func(run *client.Run) bool { return run.State == client.Waiting })
	t.Cleanup(func() { _ = c.Signal(t.Context(), waiting, "approve", json.RawMessage(`{"by": "ana"}`)) })

	for _, tc := range []struct{ name, id, says string }{
		{"completed", plan.ID, "run " + plan.ID + " completed; there is nothing to redrive"},
		{"running", waiting, "run " + waiting + " is still waiting; wait for it to fail, or cancel it first"},
		{"redriven already", id, "run " + id + " is already redriven as " + plan.ID + " (done); redrive that run instead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PlanRedrive(t.Context(), tc.id, client.RedriveOptions{})
			require.ErrorIs(t, err, client.ErrCannotRedrive)
			assert.False(t, errors.Is(err, client.ErrNotFound))
			assert.EqualError(t, err, "cannot redrive: "+tc.says)
			_, err = c.Redrive(t.Context(), tc.id, client.RedriveOptions{})
			require.ErrorIs(t, err, client.ErrCannotRedrive)
		})
	}

	unknown := uniqueID(t) + "-unknown"
	_, err = c.PlanRedrive(t.Context(), unknown, client.RedriveOptions{})
	require.ErrorIs(t, err, client.ErrNotFound)
	require.ErrorIs(t, err, client.ErrCannotRedrive)
	var notFound *client.NotFoundError
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, "run", notFound.What)
	assert.Equal(t, unknown, notFound.Name)
	assert.Contains(t, err.Error(), "a finished run is kept for the redrive window")
}
