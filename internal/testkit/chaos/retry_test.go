package chaos

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
)

// A step allows 3 attempts. Its activity fails once, is cut off by an
// endpoint crash once, and fails once more. The call the crash cut off
// reached the provider, so it is an attempt: Restate counts every attempt
// of the invocation since the step's last journal entry, and reaflow's
// retry.maxAttempts is documented to count attempts made, however they
// ended. The step fails for good after three calls; the soak reports runs
// that crashes ran out of attempts apart (see its KNOWN ISSUES).
func TestACrashCutAttemptCountsTowardMaxAttempts(t *testing.T) {
	ctx := t.Context()
	bin, err := BuildReaflow(ctx, t.TempDir())
	require.NoError(t, err)
	srv := restatetest.StartForTest(t)
	providers := sandbox.New()
	url, err := providers.Start(ctx, "")
	require.NoError(t, err)
	e, err := newEndpoint("a", bin, filepath.Join(t.TempDir(), "endpoint.log"), []string{"--payments-url", url + "/payments"})
	require.NoError(t, err)
	require.NoError(t, e.start(ctx))
	defer e.kill()
	require.NoError(t, srv.RegisterDeployment(ctx, "http://"+e.addr))

	id := "retry-budget"
	chargeKey := key(id, step("charge"))
	require.NoError(t, providers.AddFaults(
		sandbox.FaultRule{IdempotencyKey: chargeKey, Times: 1, Status: http.StatusServiceUnavailable},
		// The second call waits: the endpoint is killed meanwhile.
		sandbox.FaultRule{IdempotencyKey: chargeKey, Times: 1, Latency: sandbox.Duration(3 * time.Second)},
		sandbox.FaultRule{IdempotencyKey: chargeKey, Times: 1, Status: http.StatusServiceUnavailable},
	))
	const def = `{"name": "budget", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 12, "customer": "cus_budget"},
		"retry": {"maxAttempts": 3, "initialInterval": "100ms"}}]}`
	resp, err := http.Post(srv.IngressURL+"/Reaflow/"+id+"/Run/send", "application/json", strings.NewReader(string(mustJSON(interpreter.RunRequest{Definition: def}))))
	require.NoError(t, err)
	resp.Body.Close()

	require.Eventually(t, func() bool { return providers.Ledger().Calls[chargeKey] == 2 }, 20*time.Second, 5*time.Millisecond, "the second call is waiting")
	require.True(t, e.kill())
	require.NoError(t, e.start(ctx))

	w := newWatcher(srv)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	go w.loop(wctx)
	st, err := w.wait(wctx, id)
	require.NoError(t, err)
	assert.Equal(t, "failure", st.Result)
	assert.Empty(t, providers.Ledger().EffectsFor(chargeKey))
	assert.Equal(t, 3, providers.Ledger().Calls[chargeKey], "two failures and one call cut off by the crash: three attempts")
}
