package failover

import (
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"

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
