package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// ingressPost calls path on Restate's ingress as an outsider would, with
// nothing but the ingress's address. A call that gets no answer in time
// (an Await the ingress let through waits for its signal) is status 0.
func ingressPost(t *testing.T, path, body string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post(restateServer.IngressURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// Every handler that only runs call is refused at the ingress and leaves
// nothing behind: no invocation, no state, no activity call. The dedup
// object in particular: a record forged for a real order's key would make
// that order's ship step return the forger's result and ship nothing.
func TestInternalHandlersAreRefusedAtTheIngress(t *testing.T) {
	id := uniqueID(t)
	order := "order-" + id
	dedupKey := "ship/ship:" + order
	forged, err := json.Marshal(map[string]any{
		"activity": "inspect", "input": map[string]any{}, "workflowId": id + "-forger",
		"stepId": "ship", "stepPath": "/steps/2", "retry": map[string]any{},
	})
	require.NoError(t, err)
	branchDefinition := `{"name": "outside", "steps": [{"id": "p", "parallel": {"branches": {"a": [{"id": "r", "activity": "record", "with": {"label": "outside"}}]}}}]}`
	block, err := json.Marshal(map[string]any{
		"definition": branchDefinition, "workflowId": id + "-block", "step": "p", "branch": "a",
		"env": map[string]any{"input": nil, "steps": map[string]any{}, "vars": map[string]any{}},
	})
	require.NoError(t, err)

	for _, call := range []struct{ service, key, path, body string }{
		{interpreter.DedupService, dedupKey, "/" + interpreter.DedupService + "/" + url.PathEscape(dedupKey) + "/Run", string(forged)},
		{interpreter.BlockService, "", "/" + interpreter.BlockService + "/Run", string(block)},
		{interpreter.WorkflowService, id + "-await", "/" + interpreter.WorkflowService + "/" + id + "-await/Await", `"approve"`},
		{interpreter.LineageService, id + "-failed", "/" + interpreter.LineageService + "/" + id + "-failed/Claim", `"` + id + `-squatter"`},
	} {
		for _, path := range []string{call.path, call.path + "/send"} {
			status, answer := ingressPost(t, path, call.body)
			assert.True(t, status >= 400 && status < 500, "%s: want a 4xx, got %d %s", path, status, answer)
		}
		if call.key == "" {
			continue // a service's invocations have no key; the activity's calls show the block did not run
		}
		invocations, err := restateServer.Query(context.Background(), fmt.Sprintf(
			`SELECT id FROM sys_invocation WHERE target_service_name = '%s' AND target_service_key = '%s'`, call.service, call.key))
		require.NoError(t, err)
		assert.Empty(t, invocations, "%s: no invocation", call.path)
	}
	state, err := restateServer.Query(context.Background(), fmt.Sprintf(
		`SELECT key FROM state WHERE service_name = '%s' AND service_key = '%s'`, interpreter.DedupService, dedupKey))
	require.NoError(t, err)
	assert.Empty(t, state, "no dedup record")
	assert.Empty(t, recordedCalls(id+"-block"), "the block's activity did not run")

	// The real order for that key ships.
	out, err := runWorkflow(t, id, readWorkflow(t, "order-fulfillment.json"), orderInput(id))
	require.NoError(t, err)
	var result struct{ Tracking *string }
	require.NoError(t, json.Unmarshal(out, &result))
	require.NotNil(t, result.Tracking, "output %s", out)
	shipments := providers.Ledger().EffectsFor(rea.IdempotencyKey(dedupKey, rea.Role("dedup")))
	require.Len(t, shipments, 1, "the sandbox shipped the order")
}
