package restateserver_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

// Greeter is a workflow with one named Run step, enough to leave a journal.
type Greeter struct{}

func (Greeter) Run(ctx restate.WorkflowContext, name string) (string, error) {
	return restate.Run(ctx, func(restate.RunContext) (string, error) {
		return "hello " + name, nil
	}, restate.WithName("greet"))
}

func TestServerLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	begin := time.Now()
	srv, err := restateserver.Start(ctx)
	require.NoError(t, err)
	t.Logf("restate-server ready after %v", time.Since(begin))
	t.Cleanup(func() { srv.Stop() })
	requireQueryable(t, srv)

	endpoint := restatetest.ServeEndpoint(t, restate.Reflect(Greeter{}))
	require.NoError(t, srv.RegisterDeployment(ctx, endpoint))

	client := ingress.NewClient(srv.IngressURL)
	out, err := ingress.Workflow[string, string](client, "Greeter", "wf-1", "Run").Request(ctx, "reaflow")
	require.NoError(t, err)
	require.Equal(t, "hello reaflow", out)

	rows, err := srv.Query(ctx, "SELECT id, status, target FROM sys_invocation WHERE target_service_key = 'wf-1'")
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "completed", rows[0]["status"])
	require.Equal(t, "Greeter/wf-1/Run", rows[0]["target"])

	entries, err := srv.Query(ctx, "SELECT index, entry_type, name FROM sys_journal WHERE id = '"+rows[0]["id"].(string)+"' ORDER BY index")
	require.NoError(t, err)
	var runs []any
	for _, e := range entries {
		if e["entry_type"] == "Command: Run" {
			runs = append(runs, e["name"])
		}
	}
	require.Equal(t, []any{"greet"}, runs, "journal: %+v", entries)

	// A crash keeps the data: the finished workflow's output survives.
	pid := srv.Pid()
	require.NoError(t, srv.Kill())
	require.Zero(t, srv.Pid())
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH)
	require.NoError(t, srv.Restart(ctx))
	requireQueryable(t, srv)
	out, err = ingress.WorkflowHandle[string](client, "Greeter", "wf-1").Output(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello reaflow", out)

	pid = srv.Pid()
	begin = time.Now()
	require.NoError(t, srv.Stop())
	t.Logf("restate-server stopped after %v", time.Since(begin))
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH)
	_, err = os.Stat(srv.BaseDir)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, srv.Stop(), "Stop is idempotent")
	require.Error(t, srv.Restart(ctx))
}

// requireQueryable checks that a server Start or Restart reported ready
// answers queries over all partitions at once.
func requireQueryable(t *testing.T, srv *restateserver.Server) {
	t.Helper()
	_, err := srv.Query(context.Background(), "SELECT count(*) FROM sys_invocation")
	require.NoError(t, err)
}

func TestServersInParallel(t *testing.T) {
	const n = 2
	servers := make([]*restateserver.Server, n)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() { servers[i] = restatetest.StartForTest(t) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	require.NotEqual(t, servers[0].AdminURL, servers[1].AdminURL)
	require.NotEqual(t, servers[0].IngressURL, servers[1].IngressURL)
	require.NotEqual(t, servers[0].BaseDir, servers[1].BaseDir)

	ctx := context.Background()
	for i, srv := range servers {
		restatetest.Deploy(t, srv, restate.Reflect(Greeter{}))
		name := []string{"one", "two"}[i]
		out, err := ingress.Workflow[string, string](ingress.NewClient(srv.IngressURL), "Greeter", "wf", "Run").Request(ctx, name)
		require.NoError(t, err)
		require.Equal(t, "hello "+name, out)
	}
}

func TestStartOnExistingBaseDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := restatetest.StartForTest(t, restateserver.WithBaseDir(dir))
	restatetest.Deploy(t, first, restate.Reflect(Greeter{}))
	client := ingress.NewClient(first.IngressURL)
	_, err := ingress.Workflow[string, string](client, "Greeter", "kept", "Run").Request(ctx, "again")
	require.NoError(t, err)
	require.NoError(t, first.Stop())
	_, err = os.Stat(dir)
	require.NoError(t, err, "Stop keeps a base dir it did not create")

	second := restatetest.StartForTest(t, restateserver.WithBaseDir(dir))
	out, err := ingress.WorkflowHandle[string](ingress.NewClient(second.IngressURL), "Greeter", "kept").Output(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello again", out)
}

func TestStartReportsEarlyExit(t *testing.T) {
	_, err := restateserver.Start(context.Background(), restateserver.WithBinary("/bin/false"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "exited before it was ready")
}

func TestBinaryNotFound(t *testing.T) {
	t.Setenv(restateserver.EnvBinary, "/nonexistent/restate-server")
	_, err := restateserver.Binary()
	require.Error(t, err)
	require.True(t, errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "make restate-server"), err.Error())
}
