// Package restatetest starts restate-server and in-process service endpoints
// for tests.
//
// One server per test:
//
//	func TestGreeter(t *testing.T) {
//		srv := restatetest.StartForTest(t)
//		restatetest.Deploy(t, srv, restate.Reflect(Greeter{}))
//		client := ingress.NewClient(srv.IngressURL)
//		...
//	}
//
// One server shared by a package's tests, started in TestMain (each test
// still serves and registers its own endpoint):
//
//	var srv *restateserver.Server
//
//	func TestMain(m *testing.M) {
//		var stop func()
//		srv, stop = restatetest.StartMain()
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
package restatetest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/internal/endpoint"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
)

const logTailLines = 40

// AlwaysReplayEnv names the environment variable that, when set, makes the
// servers tests start suspend every invocation whenever it waits, so that
// every step after the first is reached by replaying the journal: a test
// suite that passes so shows that the code under test is deterministic on
// replay.
const AlwaysReplayEnv = "REAFLOW_ALWAYS_REPLAY"

// AlwaysReplay returns the server options of the always-replay mode when
// AlwaysReplayEnv is set, and none otherwise. StartForTest and StartMain
// apply them; pass them to servers started otherwise (devstack).
func AlwaysReplay() []restateserver.Option {
	if os.Getenv(AlwaysReplayEnv) == "" {
		return nil
	}
	return []restateserver.Option{restateserver.WithEnv("RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT=0s")}
}

// StartForTest starts a server for t and stops it when t ends, printing the
// tail of the server's log first if t failed.
func StartForTest(t testing.TB, opts ...restateserver.Option) *restateserver.Server {
	t.Helper()
	srv, err := restateserver.Start(context.Background(), append(AlwaysReplay(), opts...)...)
	if err != nil {
		t.Fatalf("start restate-server: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("restate-server log %s, last %d lines:\n%s", srv.LogFile, logTailLines, srv.LogTail(logTailLines))
		}
		if err := srv.Stop(); err != nil {
			t.Errorf("stop restate-server: %v", err)
		}
	})
	return srv
}

// StartMain starts a server for a package's TestMain and returns it with the
// function that stops it. If the server cannot start, StartMain prints why
// and exits the test binary.
func StartMain(opts ...restateserver.Option) (*restateserver.Server, func()) {
	srv, err := restateserver.Start(context.Background(), append(AlwaysReplay(), opts...)...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start restate-server: %v\n", err)
		os.Exit(1)
	}
	return srv, func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop restate-server: %v\n", err)
		}
	}
}

// ServeEndpoint serves the service definitions in-process over h2c on a free
// loopback port until t ends and returns the endpoint's URL, ready for
// RegisterDeployment.
func ServeEndpoint(t testing.TB, defs ...restate.ServiceDefinition) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("service endpoint: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- endpoint.Serve(ctx, l, slog.Default(), defs...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("service endpoint: %v", err)
		}
	})
	return "http://" + l.Addr().String()
}

// Deploy serves the service definitions (ServeEndpoint) and registers them
// with srv, so they can be invoked through srv.IngressURL.
func Deploy(t testing.TB, srv *restateserver.Server, defs ...restate.ServiceDefinition) string {
	t.Helper()
	url := ServeEndpoint(t, defs...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.RegisterDeployment(ctx, url); err != nil {
		t.Fatal(err)
	}
	return url
}

// DeadURL returns a loopback URL nothing listens on, as a cluster node
// that is down.
func DeadURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}
