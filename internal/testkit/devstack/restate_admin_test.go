package devstack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/interpreter"
)

// With WithRestateAdmin the stack starts no server: it registers its
// endpoint with the Restate given, through the first admin address that
// answers, as `reaflow dev --admin` does with a cluster.
func TestStackOnARestateThatRunsAlready(t *testing.T) {
	srv := restatetest.StartForTest(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "http://" + l.Addr().String()
	require.NoError(t, l.Close())

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stack, err := Start(ctx, WithRestateAdmin(down, srv.AdminURL),
		WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, stack.Stop()) })
	assert.Nil(t, stack.Restate, "no server of its own")

	out, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](ingress.NewClient(srv.IngressURL), interpreter.WorkflowService, "on-a-running-restate", "Run").
		Request(ctx, interpreter.RunRequest{Definition: `{"name": "hello", "steps": [{"id": "mail", "activity": "email", "with": {"to": "ada@example.com"}}],
		  "output": {"id": "${ steps.mail.output.id }"}}`})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id": "msg_000001"}`, string(out))
}
