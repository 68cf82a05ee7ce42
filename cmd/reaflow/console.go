package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/console"
)

type consoleCommand struct{ m *Main }

func (*consoleCommand) Name() string { return "console" }
func (*consoleCommand) Summary() string {
	return "serve the web console: runs, their steps drawn live, signals, cancel and redrive"
}

func (c *consoleCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("console", "console [--listen ADDR] [--token TOKEN | --token-file FILE]", `
reaflow console
# beyond loopback, only with a token:
reaflow console --listen 0.0.0.0:7070 --token-file /run/secrets/console-token`)
	listen := fs.String("listen", c.m.env("REAFLOW_CONSOLE_LISTEN", "127.0.0.1:7070"), "address to serve the console on; beyond loopback it needs a token (env REAFLOW_CONSOLE_LISTEN)")
	token := fs.String("token", c.m.Getenv("REAFLOW_CONSOLE_TOKEN"), "require this token of every visitor (env REAFLOW_CONSOLE_TOKEN)")
	tokenFile := fs.String("token-file", "", "read the token from this file (whitespace around it is dropped)")
	// --token is the console's own; Restate's bearer token is --restate-token.
	target := c.m.addRestateFlagsNamed(fs, "restate-token")
	// Redrive and schedule changes go to an endpoint that may take them
	// only with its deploy token.
	c.m.addDeployTokenFlag(fs, target)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *tokenFile != "" {
		if *token != "" {
			return usagef("give --token or --token-file, not both")
		}
		var err error
		if *token, err = readTokenFile("--token-file", *tokenFile); err != nil {
			return err
		}
	}
	cl, err := target.client()
	if err != nil {
		return err
	}
	l, err := listenConsole(*listen, *token)
	if err != nil {
		return err
	}
	url, serve, err := startConsole(l, cl, *token, slog.Default())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "reaflow console at %s (Ctrl-C stops it)\n", url)
	return serve(ctx)
}

// listenConsole listens on addr, refusing an address beyond loopback
// without a token: the console can signal, cancel and redrive runs.
func listenConsole(addr, token string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("--listen %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); token == "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, usagef("--listen %s is beyond loopback: the console can signal, cancel and redrive runs, so give it a --token or --token-file (or listen on 127.0.0.1)", addr)
	}
	return net.Listen("tcp", addr)
}

// startConsole serves the console on l and returns its URL and the
// function that serves until ctx ends.
func startConsole(l net.Listener, cl *client.Client, token string, logger *slog.Logger) (string, func(context.Context) error, error) {
	var opts []console.Option
	if token != "" {
		opts = append(opts, console.WithToken(token))
	}
	h, err := console.New(cl, append(opts, console.WithLogger(logger))...)
	if err != nil {
		l.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + l.Addr().String()
	return url, func(ctx context.Context) error {
		served := make(chan error, 1)
		go func() { served <- srv.Serve(l) }()
		select {
		case err := <-served:
			return err
		case <-ctx.Done():
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}
