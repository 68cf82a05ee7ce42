package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/endpoint"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/interpreter"
)

// The tests and examples share one restate-server and one reaflow
// endpoint with two activities of their own: greet, which says hello,
// and charge, which declines every card.
var (
	server               *restateserver.Server
	ingressURL, adminURL string
	endpointURL          string
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	var stop func()
	server, stop = restatetest.StartMain()
	defer stop()
	ingressURL, adminURL = server.IngressURL, server.AdminURL

	reg := activities.NewRegistry()
	activities.Register(reg, "greet", func(_ *activities.Context, in struct {
		Name string `json:"name"`
	}) (map[string]string, error) {
		return map[string]string{"greeting": "hello " + in.Name}, nil
	})
	activities.Register(reg, "charge", func(*activities.Context, struct{}) (struct{}, error) {
		return struct{}{}, activities.TerminalErrorf("card_declined", "the card was declined")
	}, activities.WithErrors("card_declined"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	go func() { served <- endpoint.Serve(ctx, l, logger, interpreter.New(reg)...) }()
	defer func() {
		cancel()
		<-served
	}()
	endpointURL = "http://" + l.Addr().String()
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	if err := server.RegisterDeployment(rctx, endpointURL); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// Definitions the tests run.
const (
	hello = `{"name": "hello", "version": "1.0.0", "steps": [
  {"id": "greet", "activity": "greet", "with": {"name": "${ input.name }"}}
], "output": {"greeting": "${ steps.greet.output.greeting }"}}`
	declined = `{"name": "declined", "steps": [
  {"id": "pay", "activity": "charge"}
]}`
	approval = `{"name": "approval", "steps": [
  {"id": "ask", "await": {"signal": "approve", "schema": {"type": "object", "required": ["by"]}}}
], "output": {"by": "${ steps.ask.output.by }"}}`
	signed = `{"name": "signed", "steps": [
  {"id": "sign", "activity": "greet", "callback": true, "with": {"name": "ada"}}
], "output": "${ steps.sign.output }"}`
)

// newClient returns a client for the shared server.
func newClient(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(ingressURL, adminURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// uniqueID is a workflow id no other test uses.
func uniqueID(t *testing.T) string {
	return fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}
