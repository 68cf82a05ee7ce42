package bench_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/bench"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

var server *restateserver.Server

func TestMain(m *testing.M) {
	var stop func()
	server, stop = restatetest.StartMain()
	code := m.Run()
	stop()
	os.Exit(code)
}

// Every variant returns the baseline's output, and a plain or templated
// run journals exactly what the hand-written one does: an input, a Run
// command and its result per step, an output. Dedup adds a call to the
// dedup object per step.
func TestVariantsAreEquivalent(t *testing.T) {
	restatetest.Deploy(t, server, bench.Services()...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := bench.NewClient(server.IngressURL, 1)
	require.NoError(t, err)
	for _, k := range []int{1, 3} {
		require.NoError(t, client.Prepare(k))
		prefix := fmt.Sprintf("check-%d", time.Now().UnixNano())
		require.NoError(t, client.Check(ctx, k, prefix))

		journals := map[bench.Variant]bench.Journal{}
		for _, v := range bench.Variants {
			journals[v], err = bench.CountJournal(ctx, server, v, fmt.Sprintf("%s-%s-k%d", prefix, v, k))
			require.NoError(t, err, v)
		}
		assert.Equal(t, bench.Journal{Run: 2 + 2*k}, journals[bench.Baseline], "K=%d", k)
		assert.Equal(t, journals[bench.Baseline], journals[bench.Plain], "K=%d", k)
		assert.Equal(t, journals[bench.Baseline], journals[bench.Templated], "K=%d", k)
		assert.Equal(t, 2+3*k, journals[bench.Dedup].Run, "K=%d: a call, its invocation id and its result per step", k)
		assert.Positive(t, journals[bench.Dedup].Dedup, "K=%d", k)
	}
}
