package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// serve with a run policy runs deployed definitions on its allow list and
// nothing else, deploys only with its token, and lets the http activity
// call only its listed hosts; each refusal says which setting to change,
// and nothing runs before it.
func TestServeRunPolicy(t *testing.T) {
	providers := sandbox.New()
	sandboxURL, err := providers.Start(t.Context(), "")
	require.NoError(t, err)
	var fetched atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(target.Close)
	byName := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)
	tokenFile := filepath.Join(t.TempDir(), "deploy-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("s3cret-deploy-token\n"), 0o600))

	server := restatetest.StartForTest(t)
	url, endpointLog := startServe(t, nil, "--allow-definitions", "allowed-*", "--deploy-token-file", tokenFile,
		"--http-allow-hosts", "localhost", "--payments-url", sandboxURL+"/payments")
	require.NoError(t, server.RegisterDeployment(t.Context(), url))
	assert.NotContains(t, endpointLog.String(), "--deploy-token-file", "no warning: the deploy token is set")
	cli := cliAgainst(t, server)

	order := writeFile(t, "allowed-order.json", `{"name": "allowed-order", "version": "1", "input": {"type": "object", "required": ["customer"]}, "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 5, "customer": "${ input.customer }"}},
	  {"id": "fan", "parallel": {"branches": {"a": [
	    {"id": "child", "workflow": {"definition": {"name": "allowed-child", "steps": [
	      {"id": "fetch", "activity": "http", "with": {"url": "`+byName+`/child"}}]}}}]}}},
	  {"id": "fetch", "activity": "http", "with": {"url": "`+byName+`/direct"}}
	]}`)
	other := writeFile(t, "other-order.json", `{"name": "other-order", "version": "1", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 5, "customer": "cus_other"}}]}`)
	byAddress := writeFile(t, "allowed-by-address.json", `{"name": "allowed-by-address", "version": "1", "steps": [
	  {"id": "fetch", "activity": "http", "with": {"url": "`+target.URL+`/by-address"}}]}`)

	// Deploying takes the token: none, or a wrong one, is refused.
	r := cli(nil, "deploy", order)
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, "only with its deploy token")
	assert.Contains(t, r.stderr, "--deploy-token-file FILE or REAFLOW_DEPLOY_TOKEN")
	r = cli(map[string]string{"REAFLOW_DEPLOY_TOKEN": "guessed"}, "deploy", order)
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, "is not this endpoint's deploy token")
	r = cli(nil, "definitions", "allowed-order")
	assert.Equal(t, 1, r.code, "nothing was deployed: %s", r.stdout)
	r = cli(nil, "deploy", "--deploy-token-file", tokenFile, order, byAddress)
	require.Equal(t, 0, r.code, r.stderr)
	r = cli(map[string]string{"REAFLOW_DEPLOY_TOKEN": "s3cret-deploy-token"}, "deploy", other)
	require.Equal(t, 0, r.code, r.stderr)

	// An inline definition is refused before anything runs, even under a
	// name the allow list takes.
	inline := writeFile(t, "allowed-inline.json", `{"name": "allowed-inline", "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 5, "customer": "cus_inline"}}]}`)
	id := uniqueID(t)
	r = cli(nil, "submit", inline, "--id", id+"-inline", "--wait")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stdout+r.stderr, `definition "allowed-inline"`)
	assert.Contains(t, r.stdout+r.stderr, "runs only deployed definitions (reaflow serve --deployed-only")
	assert.Empty(t, providers.Ledger().EffectsFor(rea.IdempotencyKey(id+"-inline", rea.Step("charge"))), "nothing ran")

	// A deployed definition runs, child runs of its steps and the listed
	// http host included; by name or from its file alike.
	r = cli(nil, "submit", "allowed-order@1", "--id", id+"-deployed", "--input", `{"customer": "cus_deployed"}`, "--wait")
	require.Equal(t, 0, r.code, "%s\n%s\nendpoint:\n%s", r.stdout, r.stderr, endpointLog)
	assert.Len(t, providers.Ledger().EffectsFor(rea.IdempotencyKey(id+"-deployed", rea.Step("charge"))), 1)
	assert.Equal(t, int32(2), fetched.Load(), "the child's and the run's http calls")
	r = cli(nil, "submit", order, "--id", id+"-file", "--input", `{"customer": "cus_file"}`, "--wait")
	require.Equal(t, 0, r.code, "%s\n%s", r.stdout, r.stderr)

	// A run cannot pass itself off as a child of a deployed definition.
	text, err := os.ReadFile(order)
	require.NoError(t, err)
	deployed, err := dsl.Load("allowed-order.json", text)
	require.NoError(t, err)
	_, err = ingress.Workflow[interpreter.RunRequest, json.RawMessage](ingress.NewClient(server.IngressURL), interpreter.WorkflowService, id+"-forged", "Run").
		Request(t.Context(), interpreter.RunRequest{
			Definition: `{"name": "allowed-child", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 5, "customer": "cus_forged"}}]}`,
			Origin:     &interpreter.DefinitionOrigin{Name: "allowed-order", Hash: deployed.Hash, Steps: []string{"child"}},
		})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not deployed")
	assert.Empty(t, providers.Ledger().EffectsFor(rea.IdempotencyKey(id+"-forged", rea.Step("charge"))), "nothing ran")

	// A redrive's reused outputs stand in for the steps it skips: without
	// the deploy token, a caller cannot write them for a deployed
	// definition to skip its charge.
	forgedRedrive := interpreter.RunRequest{Definition: string(text), File: "allowed-order.json", Input: json.RawMessage(`{"customer": "cus_forged_redrive"}`),
		Redrive: &interpreter.Redrive{Of: id + "-deployed", Root: id + "-deployed", Generation: 1, Reuse: map[string]json.RawMessage{"charge": json.RawMessage(`{"id": "ch_fake"}`)}}}
	fetchedBefore := fetched.Load()
	_, err = ingress.Workflow[interpreter.RunRequest, json.RawMessage](ingress.NewClient(server.IngressURL), interpreter.WorkflowService, id+"-forged-redrive", "Run").
		Request(t.Context(), forgedRedrive)
	require.Error(t, err, "a redrive without the deploy token")
	assert.Contains(t, err.Error(), "only with its deploy token")
	assert.Equal(t, fetchedBefore, fetched.Load(), "the forged redrive ran none of its steps")

	// A deployed definition off the allow list is refused.
	r = cli(nil, "submit", "other-order", "--id", id+"-other", "--wait")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stdout+r.stderr, `definition "other-order" may not run on this endpoint`)
	assert.Contains(t, r.stdout+r.stderr, "--allow-definitions")
	assert.Empty(t, providers.Ledger().EffectsFor(rea.IdempotencyKey(id+"-other", rea.Step("charge"))), "nothing ran")

	// Schedules change what runs: they take the token, and the allow list.
	r = cli(nil, "schedule", "create", id+"-hourly", "--workflow", "allowed-order", "--every", "1h", "--input", `{"customer": "cus_scheduled"}`, "--paused")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, "only with its deploy token")
	r = cli(nil, "schedule", "create", id+"-other", "--workflow", "other-order", "--every", "1h", "--paused", "--deploy-token-file", tokenFile)
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, `definition "other-order" may not run on this endpoint`)
	r = cli(nil, "schedule", "create", id+"-hourly", "--workflow", "allowed-order", "--every", "1h", "--input", `{"customer": "cus_scheduled"}`, "--paused", "--deploy-token-file", tokenFile)
	assert.Equal(t, 0, r.code, r.stderr)

	// http to a host off its list fails at once, and the host sees nothing.
	fetched.Store(0)
	r = cli(nil, "submit", "allowed-by-address", "--id", id+"-address", "--wait")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stdout+r.stderr, "host_not_allowed")
	assert.Contains(t, r.stdout+r.stderr, "--http-allow-hosts")
	assert.Zero(t, fetched.Load(), "the refused host saw no request")
}

// cliAgainst returns a CLI that talks to server, with env on top of its
// addresses.
func cliAgainst(t *testing.T, server *restateserver.Server) func(env map[string]string, args ...string) result {
	return func(env map[string]string, args ...string) result {
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, Getenv: func(name string) string {
			switch name {
			case "REAFLOW_INGRESS_URL":
				return server.IngressURL
			case "REAFLOW_ADMIN_URL":
				return server.AdminURL
			}
			return env[name]
		}}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		code := m.Run(ctx, args)
		return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}
}

func TestServeWarnsAboutWhatItLeavesOpen(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags policyFlags
		want  []string
	}{
		{"nothing set", policyFlags{}, []string{"the endpoint runs any definition"}},
		{"hosts listed", policyFlags{httpAllowHosts: []string{"api.example.com"}}, nil},
		{"deployed only, no token", policyFlags{deployedOnly: true}, []string{"no --deploy-token-file"}},
		{"allow list, no token", policyFlags{allowDefinitions: []string{"order-*"}}, []string{"no --deploy-token-file"}},
		{"deployed only with a token", policyFlags{deployedOnly: true, deployTokenFile: "token"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.flags.warnings()
			require.Len(t, got, len(tt.want), "%q", got)
			for i, want := range tt.want {
				assert.Contains(t, got[i], want)
			}
		})
	}
}
