package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

// CancelInvocation cancels an invocation in flight, and tells an unknown
// invocation and a finished one apart.
func TestCancelInvocation(t *testing.T) {
	srv := restatetest.StartForTest(t)
	restatetest.Deploy(t, srv, restate.NewService("Sleeper").Handler("Sleep", restate.NewServiceHandler(
		func(ctx restate.Context, _ restate.Void) (restate.Void, error) {
			return restate.Void{}, restate.Sleep(ctx, time.Hour)
		})))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sent, err := ingress.Service[restate.Void, restate.Void](ingress.NewClient(srv.IngressURL), "Sleeper", "Sleep").Send(ctx, restate.Void{})
	require.NoError(t, err)

	client := admin.New(srv.AdminURL, "")
	require.NoError(t, client.CancelInvocation(ctx, sent.Id()))
	_, err = sent.Attach(ctx)
	require.True(t, restate.IsTerminalError(err), "%v", err)
	assert.Equal(t, restate.Code(409), restate.AsTerminalError(err).Code(), "the handler ends with Restate's cancellation error: %v", err)

	err = client.CancelInvocation(ctx, sent.Id())
	assert.ErrorIs(t, err, admin.ErrInvocationCompleted)

	// An id on the same partition (the same partition key) that no
	// invocation has: its last digit differs.
	id := sent.Id()
	last := "0"
	if strings.HasSuffix(id, "0") {
		last = "1"
	}
	unknown := id[:len(id)-1] + last
	err = client.CancelInvocation(ctx, unknown)
	assert.ErrorIs(t, err, admin.ErrInvocationNotFound)
	assert.Contains(t, err.Error(), unknown)

	err = client.CancelInvocation(ctx, "not-an-invocation-id")
	var answer *admin.APIError
	require.True(t, errors.As(err, &answer), "%v", err)
	assert.Equal(t, 400, answer.StatusCode)
	assert.Contains(t, answer.Message, "invalid")
}
