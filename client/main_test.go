package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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
// endpoint with three activities of their own: greet, which says hello;
// charge, which declines every card; and reserve, which refuses an item
// (sold_out) until restock is called for it. Each counts its calls by
// its input.
var (
	server               *restateserver.Server
	ingressURL, adminURL string
	endpointURL          string

	restocked sync.Map // item -> true
	calls     sync.Map // "greet:NAME", "reserve:ITEM" -> *atomic.Int32
)

func restock(item string) { restocked.Store(item, true) }

// callsOf counts the calls of an activity with the input named.
func callsOf(activity, input string) int {
	n, _ := calls.LoadOrStore(activity+":"+input, new(atomic.Int32))
	return int(n.(*atomic.Int32).Load())
}

func count(activity, input string) {
	n, _ := calls.LoadOrStore(activity+":"+input, new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
}

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
		count("greet", in.Name)
		return map[string]string{"greeting": "hello " + in.Name}, nil
	})
	activities.Register(reg, "reserve", func(_ *activities.Context, in struct {
		Item string `json:"item"`
	}) (map[string]string, error) {
		count("reserve", in.Item)
		if _, ok := restocked.Load(in.Item); !ok {
			return nil, activities.TerminalErrorf("sold_out", "%s is sold out", in.Item)
		}
		return map[string]string{"reservation": "res-" + in.Item}, nil
	}, activities.WithErrors("sold_out"))
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
	// reservation fails at hold until its item is restocked.
	reservation = `{"name": "reservation", "steps": [
  {"id": "hi", "activity": "greet", "with": {"name": "${ input.item }"}},
  {"id": "hold", "activity": "reserve", "with": {"item": "${ input.item }"}},
  {"id": "bye", "activity": "greet", "with": {"name": "${ steps.hold.output.reservation }"}}
], "output": {"hi": "${ steps.hi.output.greeting }", "bye": "${ steps.bye.output.greeting }"}}`
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
