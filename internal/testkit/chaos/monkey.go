package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// monkey kills processes while the jobs run: endpoints EndpointKills
// times and restate-server ServerRestarts times, at random points of the
// submission. Points of the submission (the share of runs started) rather
// than times make a seed give the same number of kills at the same stage
// of the work on a fast machine and on a loaded one; the draws are
// uniform, so kills sometimes come in quick succession and hit an
// endpoint that has just come back.
type monkey struct {
	s        *stack
	cfg      Config
	progress func() float64 // 0 at the start of submission, 1 at its end

	mu             sync.Mutex
	endpointKills  int
	endpointStarts int
	serverRestarts int
	serverDown     time.Duration
	failures       []string
	events         []string
}

// event notes what the monkey did, with the time since the soak started,
// so a failure can be set against the kills around it.
func (m *monkey) event(start time.Time, format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, fmt.Sprintf("%8.3fs  ", time.Since(start).Seconds())+fmt.Sprintf(format, args...))
}

func (m *monkey) fail(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures = append(m.failures, fmt.Sprintf(format, args...))
}

// run kills until stop is closed, then brings every process back up and
// returns. ctx ends it at once.
func (m *monkey) run(ctx context.Context, stop <-chan struct{}, start time.Time) {
	var wg sync.WaitGroup
	if m.cfg.EndpointKills > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.killEndpoints(ctx, stop, start)
		}()
	}
	if m.cfg.ServerRestarts > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.restartServer(ctx, start)
		}()
	}
	wg.Wait()
	if err := m.s.ensureUp(ctx); err != nil {
		m.fail("bring the stack back up: %v", err)
	}
}

// sleep waits d, and reports false if stop or ctx came first.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	case <-ctx.Done():
		return false
	}
}

func (m *monkey) killEndpoints(ctx context.Context, stop <-chan struct{}, start time.Time) {
	rng := rand.New(rand.NewPCG(m.cfg.Seed, 0xe0d9))
	points := make([]float64, m.cfg.EndpointKills)
	for i := range points {
		points[i] = rng.Float64()
	}
	slices.Sort(points)
	for _, at := range points {
		if !m.await(ctx, stop, at) {
			return
		}
		e := m.s.endpoints[rng.IntN(len(m.s.endpoints))]
		down := time.Duration(rng.Float64() * float64(m.cfg.MaxDown))
		if e.kill() {
			m.mu.Lock()
			m.endpointKills++
			m.mu.Unlock()
			m.event(start, "SIGKILL endpoint %s at %.1f%% of the submission, down for %v", e.name, 100*at, down.Round(time.Millisecond))
		}
		// Even when stopping: the drain needs the endpoint back.
		sleep(ctx, stop, down)
		if err := e.start(ctx); err != nil {
			m.fail("restart endpoint %s: %v", e.name, err)
			return
		}
		m.mu.Lock()
		m.endpointStarts++
		m.mu.Unlock()
		m.event(start, "endpoint %s started again", e.name)
	}
}

// await waits until the submission has come to point at, and reports
// false if ctx ended first. stop only cuts the wait short once the
// submission is over, when every point has been reached anyway.
func (m *monkey) await(ctx context.Context, stop <-chan struct{}, at float64) bool {
	for m.progress() < at {
		select {
		case <-ctx.Done():
			return false
		case <-stop:
			return true
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// restartServer SIGKILLs restate-server once in each of ServerRestarts
// equal shares of the submission, at a random point of the share, and
// starts it again on the same data. All restarts happen before the
// submission ends, since every share ends before it.
func (m *monkey) restartServer(ctx context.Context, start time.Time) {
	rng := rand.New(rand.NewPCG(m.cfg.Seed, 0x5e4e))
	n := m.cfg.ServerRestarts
	for k := range n {
		at := (float64(k) + 0.15 + 0.7*rng.Float64()) / float64(n)
		if !m.await(ctx, nil, at) {
			return
		}
		down := time.Duration(rng.Float64() * float64(time.Second))
		if err := m.s.server.Kill(); err != nil {
			m.fail("kill restate-server: %v", err)
			return
		}
		m.event(start, "SIGKILL restate-server at %.0f%% of the submission, down for %v", 100*at, down.Round(time.Millisecond))
		began := time.Now()
		select {
		case <-ctx.Done():
			return
		case <-time.After(down):
		}
		if err := m.s.server.Restart(ctx); err != nil {
			m.fail("restart restate-server: %v", err)
			return
		}
		m.mu.Lock()
		m.serverRestarts++
		m.serverDown += time.Since(began)
		m.mu.Unlock()
		m.event(start, "restate-server ready again after %v", time.Since(began).Round(time.Millisecond))
	}
}
