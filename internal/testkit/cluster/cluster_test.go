package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/cluster"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

type Echo struct{}

func (Echo) Say(_ restate.Context, s string) (string, error) { return "echo " + s, nil }

// echo calls Echo through ingressURL until it answers, which is how a
// caller knows the partition the call lands on has a leader.
func echo(t *testing.T, ingressURL, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		out, err := ingress.Service[string, string](ingress.NewClient(ingressURL), "Echo", "Say").Request(ctx, s)
		if err == nil {
			assert.Equal(t, "echo "+s, out)
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Echo via %s never answered: %v", ingressURL, last)
}

// A three-node cluster loses the node that leads the most partitions:
// the others take over, and the node restarted on its base dir rejoins.
func TestClusterSurvivesTheLossOfANode(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx)
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("node %s log %s, last lines:\n%s", n.Name, n.LogFile, n.LogTail(30))
			}
		}
		assert.NoError(t, c.Stop())
	})
	restatetest.Deploy(t, c.Nodes[0].Server, restate.Reflect(Echo{}))
	for i, url := range c.IngressURLs() {
		for j := range 8 {
			echo(t, url, fmt.Sprintf("warm-up %d.%d", i, j))
		}
	}
	require.NoError(t, c.WaitLeaders(ctx, 4))

	roles, err := c.AllRoles(ctx)
	require.NoError(t, err)
	victim := c.Nodes[0]
	for _, n := range c.Nodes {
		if roles[n.Name].Leaders > roles[victim.Name].Leaders {
			victim = n
		}
	}
	t.Logf("roles %v; killing %s", roles, victim.Name)
	require.NoError(t, victim.Kill())
	for _, n := range c.Nodes {
		if n != victim {
			for j := range 8 {
				echo(t, n.IngressURL, fmt.Sprintf("failover %s.%d", n.Name, j))
			}
		}
	}

	require.NoError(t, victim.Restart(ctx))
	require.NoError(t, c.WaitRejoined(ctx, victim))
	echo(t, victim.IngressURL, "back")
	after, err := victim.Roles(ctx)
	require.NoError(t, err)
	assert.Equal(t, roles[victim.Name].ID, after.ID, "the node keeps its id across the restart")
	assert.Positive(t, after.Partitions)
}
