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

// Serve serves defs on ln until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, ln net.Listener, logger *slog.Logger, defs ...restate.ServiceDefinition) error {
	srv := server.NewRestate().WithLogger(logger.Handler(), true)
	for _, def := range defs {
		srv.Bind(def)
	}
	handler, err := srv.Handler()
	if err != nil {
		return err
	}
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
	err = hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return err
}
