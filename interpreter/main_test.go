package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/internal/testkit/devstack"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// One restate-server, one sandbox and one endpoint serve every test of the
// package; tests stay apart by using unique workflow ids, and fault rules
// scoped to the idempotency keys of their own runs.
var (
	restateServer *restateserver.Server
	providers     *sandbox.Sandbox
	sandboxURL    string
	client        *ingress.Client
)

// testRetry keeps retries of steps without a retry block quick.
var testRetry = rea.RunConfig{MaxRetries: rea.Unlimited, InitialDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond, BackoffFactor: 2}

func TestMain(m *testing.M) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stack, err := devstack.Start(context.Background(),
		devstack.WithLogger(logger),
		devstack.WithRestateOptions(restatetest.AlwaysReplay()...),
		devstack.WithInterpreterOptions(interpreter.WithDefaultRetry(testRetry)),
		devstack.WithActivities(func(reg *activities.Registry) {
			activities.Register(reg, "inspect", inspect)
			activities.Register(reg, "record", record)
			activities.Register(reg, "failWith", failWith)
			activities.Register(reg, "blob", blob)
			activities.Register(reg, "slow", slow)
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	restateServer, providers, sandboxURL = stack.Restate, stack.Sandbox, stack.SandboxURL
	client = ingress.NewClient(restateServer.IngressURL)
	code := m.Run()
	if err := stack.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// inspectOutput is what the inspect activity saw of its call.
type inspectOutput struct {
	IdempotencyKey string `json:"idempotencyKey"`
	WorkflowID     string `json:"workflowId"`
	StepID         string `json:"stepId"`
	StepPath       string `json:"stepPath"`
	CallbackID     string `json:"callbackId,omitempty"`
	Echo           any    `json:"echo"`
}

// inspect returns its input and the activity context it was called with;
// it hands callback ids to the test through callbacks.
func inspect(ctx *activities.Context, in any) (inspectOutput, error) {
	if ctx.CallbackID != "" {
		callbacks.Store(ctx.WorkflowID+"/"+ctx.StepID, ctx.CallbackID)
	}
	return inspectOutput{IdempotencyKey: ctx.IdempotencyKey, WorkflowID: ctx.WorkflowID, StepID: ctx.StepID, StepPath: ctx.StepPath, CallbackID: ctx.CallbackID, Echo: in}, nil
}

// callbacks maps "workflow id/step id" to the callback id the step's
// activity was given.
var callbacks sync.Map

// recorded holds, per workflow id, the labels record was called with, in
// call order.
var recorded = struct {
	sync.Mutex
	calls map[string][]string
}{calls: map[string][]string{}}

// record notes its label for the calling workflow.
func record(ctx *activities.Context, in struct {
	Label string `json:"label"`
}) (string, error) {
	recorded.Lock()
	defer recorded.Unlock()
	recorded.calls[ctx.WorkflowID] = append(recorded.calls[ctx.WorkflowID], in.Label)
	return in.Label, nil
}

func recordedCalls(workflowID string) []string {
	recorded.Lock()
	defer recorded.Unlock()
	return append([]string(nil), recorded.calls[workflowID]...)
}

// failWith fails terminally with the code it is given.
func failWith(_ *activities.Context, in struct {
	Code string `json:"code"`
}) (any, error) {
	return nil, activities.TerminalErrorf(in.Code, "failing with %s as asked", in.Code)
}

// uniqueID returns a workflow id no other test run uses.
func uniqueID(t *testing.T) string {
	return fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

// runWorkflow runs definition with input under id and waits for the result.
func runWorkflow(t *testing.T, id string, definition []byte, input any) (json.RawMessage, error) {
	t.Helper()
	raw, err := json.Marshal(input)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return ingress.Workflow[interpreter.RunRequest, json.RawMessage](client, interpreter.WorkflowService, id, "Run").
		Request(ctx, interpreter.RunRequest{Definition: string(definition), Input: raw, File: t.Name() + ".json"})
}

// terminal returns the terminal error a run failed with.
func terminal(t *testing.T, err error) restate.TerminalError {
	t.Helper()
	require.Error(t, err)
	require.True(t, restate.IsTerminalError(err), "want a terminal error, got %v", err)
	return restate.AsTerminalError(err)
}

func key(workflowID, step string) string {
	return rea.IdempotencyKey(workflowID, rea.Step(step))
}

// slow records its label, then takes 2s to return.
func slow(ctx *activities.Context, in struct {
	Label string `json:"label"`
}) (string, error) {
	recorded.Lock()
	recorded.calls[ctx.WorkflowID] = append(recorded.calls[ctx.WorkflowID], "start "+in.Label)
	recorded.Unlock()
	time.Sleep(2 * time.Second)
	return in.Label, nil
}
