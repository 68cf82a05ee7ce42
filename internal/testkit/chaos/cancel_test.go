package chaos

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/testkit/devstack"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
)

// A trip-booking run is cancelled while its flight booking is in flight:
// the provider has booked the flight, its answer has not reached the run
// yet. The saga must still undo the flight. The soak's trip-cancelled
// scenario finds this at random; here it is pinned by
// holding the provider's answer after the effect. The run waits for the
// step's outcome before it passes the cancellation on, so the flight is a
// completed step and is undone.
func TestCancelDuringAStepCompensatesIt(t *testing.T) {
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	stack, err := devstack.Start(ctx, devstack.WithLogger(logger))
	require.NoError(t, err)
	defer stack.Stop()

	id := "cancel-in-flight"
	flightKey := key(id, step("flight"))
	require.NoError(t, stack.Sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: flightKey, Times: 1, HoldAfterEffect: sandbox.Duration(3 * time.Second)}))
	def, err := os.ReadFile("../../../workflows/" + fileTrip)
	require.NoError(t, err)
	body := mustJSON(interpreter.RunRequest{Definition: string(def), File: fileTrip, Input: mustJSON(map[string]any{
		"tripId": "t1", "customer": "cus_t1", "flight": "LH 400", "hotel": "Hotel Adlon", "car": "compact", "deposit": 150, "email": "a@example.com",
	})})
	resp, err := http.Post(stack.Restate.IngressURL+"/Reaflow/"+id+"/Run/send", "application/json", strings.NewReader(string(body)))
	require.NoError(t, err)
	var accepted struct{ InvocationID string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&accepted))
	resp.Body.Close()

	require.Eventually(t, func() bool { return len(stack.Sandbox.Ledger().EffectsFor(flightKey)) == 1 },
		20*time.Second, 5*time.Millisecond, "the flight is booked and its answer held")
	require.NoError(t, admin.New(stack.Restate.AdminURL, "").CancelInvocation(ctx, accepted.InvocationID))

	w := newWatcher(stack.Restate)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	go w.loop(wctx)
	st, err := w.wait(wctx, id)
	require.NoError(t, err)
	t.Logf("run ended: %s %s", st.Result, st.Failure)
	var journal strings.Builder
	dumpInvocations(ctx, stack.Restate, &journal, id)
	t.Logf("journal:\n%s", journal.String())

	l := stack.Sandbox.Ledger()
	assert.Len(t, l.EffectsFor(key(id, step("flight"), undo)), 1, "the flight that was booked is cancelled")
	assert.Len(t, l.EffectsFor(key(id, step("deposit"), undo)), 1, "the deposit is refunded")
	assert.Contains(t, st.Failure, "compensated: flight, deposit")
}
