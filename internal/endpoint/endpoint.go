// Package endpoint serves Restate service definitions over HTTP/2 without
// TLS on a listener the caller owns, so callers can pick free ports and
// learn the address before Restate is told about it.
package endpoint

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/server"
)

// Serve serves defs on ln until ctx ends, then shuts down gracefully. It
// accepts every request: see Handler for an endpoint that accepts only
// those a Restate server signed.
func Serve(ctx context.Context, ln net.Listener, logger *slog.Logger, defs ...restate.ServiceDefinition) error {
	handler, err := Handler(logger, nil, defs...)
	if err != nil {
		return err
	}
	return ServeHandler(ctx, ln, handler)
}

// Handler returns the HTTP handler of defs. With identityKeys (each
// "publickeyv1_" and a base58 ed25519 public key, as Restate prints them)
// it accepts only requests signed by a Restate server holding one of the
// matching private keys (restate-server's
// worker.invoker.request-identity-private-key-pem-file) and answers any
// other with 401: whoever can reach the endpoint could otherwise run any
// workflow, signal any run, or replay a journal of their own making. A
// malformed key is an error.
func Handler(logger *slog.Logger, identityKeys []string, defs ...restate.ServiceDefinition) (http.Handler, error) {
	srv := server.NewRestate().WithLogger(logger.Handler(), true)
	if len(identityKeys) > 0 {
		srv = srv.WithIdentityV1(identityKeys...)
	}
	for _, def := range defs {
		srv.Bind(def)
	}
	return srv.Handler()
}

// ServeHandler serves handler on ln, as Serve does.
func ServeHandler(ctx context.Context, ln net.Listener, handler http.Handler) error {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: handler, Protocols: &protocols, ReadHeaderTimeout: 10 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shutdown)
	}()
	err := hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return err
}
