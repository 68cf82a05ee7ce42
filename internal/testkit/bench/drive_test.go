package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDriveKeepsConcurrencyCallsInFlight(t *testing.T) {
	const n, c = 40, 4
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	seen := map[int]bool{}
	// The first calls wait until c of them are in flight together: a driver
	// that keeps fewer in flight never gets there, and its calls fail.
	allIn := make(chan struct{})
	var once sync.Once
	s, err := Drive(context.Background(), n, c, func(ctx context.Context, i int) error {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		if now == c {
			once.Do(func() { close(allIn) })
		}
		select {
		case <-allIn:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("only %d calls in flight, want %d", inFlight.Load(), c)
		}
		mu.Lock()
		seen[i] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return nil
	})
	require.NoError(t, err)
	assert.Len(t, seen, n, "every call number once")
	assert.Equal(t, int32(c), peak.Load(), "c calls in flight, never more")
	require.Len(t, s.Latencies, n)
	for _, l := range s.Latencies {
		assert.GreaterOrEqual(t, l, time.Millisecond)
	}
	assert.GreaterOrEqual(t, s.Elapsed, n/c*time.Millisecond)
}

func TestDriveStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	_, err := Drive(context.Background(), 1000, 2, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 5 {
			return boom
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, "call 5")
	assert.Less(t, calls.Load(), int32(1000))
}
