package bench

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\treaflow-bench\nVmPeak:\t 1300000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t7\n"
	rss, hwm, err := parseStatus([]byte(status))
	require.NoError(t, err)
	assert.Equal(t, int64(40<<20), rss)
	assert.Equal(t, int64(50<<20), hwm)

	_, _, err = parseStatus([]byte("Name:\tkthreadd\n"))
	assert.Error(t, err, "kernel threads have no memory lines")
}

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 125 0 0 20 0 7 0 100 0 0\n"
	cpu, err := parseStatCPU([]byte(stat))
	require.NoError(t, err)
	assert.Equal(t, 3750*time.Millisecond, cpu)

	_, err = parseStatCPU([]byte("4242 (short) S 1 2"))
	assert.Error(t, err)
}

func TestReadProcOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	ps, err := ReadProc(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, ps.RSS)
	assert.GreaterOrEqual(t, ps.HWM, ps.RSS)
}
