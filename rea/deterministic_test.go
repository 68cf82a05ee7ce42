package rea_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/rea"
)

// The helpers give the same values when Restate runs a handler again: the
// Run below fails its first attempt, so the handler is replayed and draws
// its UUID, random number and time a second time.
func TestDeterministicHelpersReplayIdentically(t *testing.T) {
	var (
		mu    sync.Mutex
		draws []string
		// executions counts how often the handler body ran: the test
		// means something only if the second draw came from a replay.
		executions int
	)
	handler := func(ctx restate.Context, _ restate.Void) (string, error) {
		mu.Lock()
		executions++
		mu.Unlock()
		h := rea.NewDeterministicHelpers(ctx)
		now, err := h.Now()
		if err != nil {
			return "", err
		}
		draw := h.UUID() + "/" + string(rune('a'+h.Rand().IntN(26))) + "/" + now.Format(time.RFC3339Nano)
		return restate.Run(ctx, func(restate.RunContext) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			draws = append(draws, draw)
			if len(draws) == 1 {
				return "", errors.New("first attempt fails")
			}
			return draw, nil
		}, restate.WithMaxRetryAttempts(3), restate.WithInitialRetryInterval(10e6))
	}
	srv := restatetest.StartForTest(t)
	restatetest.Deploy(t, srv, restate.NewService("Draw").Handler("Run", restate.NewServiceHandler(handler)))

	out, err := ingress.Service[restate.Void, string](ingress.NewClient(srv.IngressURL), "Draw", "Run").Request(context.Background(), restate.Void{})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, draws, 2)
	require.GreaterOrEqual(t, executions, 2, "the handler was replayed")
	assert.Equal(t, draws[0], draws[1])
	assert.Equal(t, draws[1], out)
}
