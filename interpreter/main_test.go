package interpreter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/internal/devstack"
	"github.com/reaflow/reaflow/internal/restateserver"
	"github.com/reaflow/reaflow/internal/sandbox"
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
		devstack.WithInterpreterOptions(interpreter.WithDefaultRetry(testRetry)),
		devstack.WithActivities(func(reg *activities.Registry) { activities.Register(reg, "inspect", inspect) }))
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
	Echo           any    `json:"echo"`
}

// inspect returns its input and the activity context it was called with.
func inspect(ctx *activities.Context, in any) (inspectOutput, error) {
	return inspectOutput{IdempotencyKey: ctx.IdempotencyKey, WorkflowID: ctx.WorkflowID, StepID: ctx.StepID, StepPath: ctx.StepPath, Echo: in}, nil
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
