package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Sample is what one closed-loop measurement saw.
type Sample struct {
	// Latencies holds each call's duration, end to end, in no set order.
	Latencies []time.Duration
	// Elapsed is the wall time from the first call's start to the last
	// call's end.
	Elapsed time.Duration
}

// Drive makes n calls of call from concurrency workers, each starting its
// next call as soon as its previous one returns (a closed loop: the load
// adapts to the system's speed instead of queueing up), with call numbers
// 0 to n-1. The first error stops every worker and is returned.
func Drive(ctx context.Context, n, concurrency int, call func(ctx context.Context, i int) error) (Sample, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	latencies := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				began := time.Now()
				if err := call(ctx, i); err != nil {
					cancel(fmt.Errorf("call %d: %w", i, err))
					return
				}
				latencies[i] = time.Since(began)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return Sample{}, err
	}
	return Sample{Latencies: latencies, Elapsed: elapsed}, nil
}
