package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
)

// The stack's built-ins reach every sandbox provider, the travel one
// included, without any setting: a trip is booked and cancelled in reverse
// order, and a sold-out booking fails the run.
func TestStackWiresEveryProvider(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	stack, err := Start(ctx, WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, stack.Stop()) })
	client := ingress.NewClient(stack.Restate.IngressURL)
	run := func(id, definition string) (json.RawMessage, error) {
		return ingress.Workflow[interpreter.RunRequest, json.RawMessage](client, interpreter.WorkflowService, id, "Run").
			Request(ctx, interpreter.RunRequest{Definition: definition, Input: json.RawMessage(`{}`), File: id + ".json"})
	}
	suffix := fmt.Sprint(time.Now().UnixNano())

	out, err := run("trip-"+suffix, `{"name": "trip", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 10, "customer": "cus_1"}},
	  {"id": "ship", "activity": "ship", "with": {"address": "1 Main St"}},
	  {"id": "email", "activity": "email", "with": {"to": "ada@example.com"}},
	  {"id": "flight", "activity": "book", "with": {"kind": "flight", "customer": "cus_1", "item": "LH 123", "amount": 45000}},
	  {"id": "hotel", "activity": "book", "with": {"kind": "hotel", "customer": "cus_1", "item": "Hotel Adlon"}},
	  {"id": "cancelHotel", "activity": "cancelBooking", "with": {"id": "${ steps.hotel.output.id }"}},
	  {"id": "cancelFlight", "activity": "cancelBooking", "with": {"id": "${ steps.flight.output.id }"}}
	]}`)
	require.NoError(t, err)
	var steps map[string]map[string]any
	require.NoError(t, json.Unmarshal(out, &steps), string(out))
	assert.Equal(t, "confirmed", steps["flight"]["status"])
	assert.Equal(t, "cancelled", steps["cancelFlight"]["status"])

	l := stack.Sandbox.Ledger()
	assert.Equal(t, []string{"bk_000001", "bk_000002"}, sandbox.ObjectIDs(l.EffectsOn("POST /travel/bookings")))
	assert.Equal(t, []string{"bk_000002", "bk_000001"}, sandbox.ObjectIDs(l.EffectsOn("POST /travel/bookings/{id}/cancel")))
	assert.Equal(t, 7, l.Totals.Succeeded)

	_, err = run("sold-out-"+suffix, `{"name": "sold-out", "steps": [
	  {"id": "hotel", "activity": "book", "with": {"kind": "hotel", "customer": "cus_1", "item": "sold-out"}}
	]}`)
	require.Error(t, err)
	require.True(t, restate.IsTerminalError(err), "%v", err)
	assert.Contains(t, err.Error(), "sold_out")
}
