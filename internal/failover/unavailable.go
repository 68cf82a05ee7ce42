package failover

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/admin"
)

// Unavailable tells whether err, from the ingress or the admin API, is
// Restate being unavailable for now, as it is while a cluster replaces a
// failed node: a connection lost before the answer, or a 5xx that is not
// an invocation's own failure. Asking again later can succeed.
//
// A connection refused is not: the addresses given (all of them, when
// there are several) have no Restate behind them, which waiting will not
// change.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" || errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	var api *admin.APIError
	if errors.As(err, &api) {
		return api.StatusCode >= 500
	}
	var answer ingress.Error
	if errors.As(err, &answer) {
		return int(answer.Code()) >= 500 && !answer.IsInvocationError()
	}
	var (
		urlErr *url.Error
		netErr net.Error
	)
	return errors.As(err, &urlErr) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// RideOut bounds how long a client keeps sending a request, or following
// a run, while Restate is Unavailable: long enough for a cluster to
// replace a failed node (seconds), short enough that a stopped server is
// reported.
const RideOut = 2 * time.Minute

// Pause waits before the next attempt after attempt (from 0) failed
// with Restate unavailable, a little longer each time, up to 2s.
func Pause(ctx context.Context, attempt int) error {
	d := min(250*time.Millisecond<<min(attempt, 3), 2*time.Second)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
