package chaos

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// balancer is a loopback TCP proxy that spreads connections over several
// endpoint processes, round robin, skipping those that refuse.
//
// Restate sends every new invocation of a service to the deployment
// registered last, and keeps an invocation on the deployment it started
// on, so two endpoints registered as two deployments would not share
// work, and a killed one would hold its invocations until it came back.
// Registered once through the balancer, both endpoints serve the same
// deployment: killing one breaks its connections, and Restate's retries
// reach the other.
type balancer struct {
	ln       net.Listener
	backends []string

	mu     sync.Mutex
	next   int
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	// accepted counts connections, per backend, for the report.
	accepted []int
}

// dialTimeout bounds the attempt to reach one backend. A killed endpoint
// refuses at once on loopback; the bound only matters for a hung one.
const dialTimeout = time.Second

func newBalancer(backends []string) (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &balancer{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}, accepted: make([]int, len(backends))}
	b.wg.Add(1)
	go b.serve()
	return b, nil
}

// URL is what Restate is told the deployment is.
func (b *balancer) URL() string { return "http://" + b.ln.Addr().String() }

func (b *balancer) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		b.wg.Add(1)
		go b.proxy(c)
	}
}

// proxy joins a client connection to the first backend that accepts,
// starting after the one the previous connection got.
func (b *balancer) proxy(client net.Conn) {
	defer b.wg.Done()
	b.mu.Lock()
	start := b.next
	b.next = (b.next + 1) % len(b.backends)
	b.mu.Unlock()
	var backend net.Conn
	for i := range b.backends {
		n := (start + i) % len(b.backends)
		c, err := net.DialTimeout("tcp", b.backends[n], dialTimeout)
		if err == nil {
			backend = c
			b.mu.Lock()
			b.accepted[n]++
			b.mu.Unlock()
			break
		}
	}
	if backend == nil {
		// Every endpoint is down: Restate sees a refused stream and retries.
		client.Close()
		return
	}
	if !b.track(client, backend) {
		client.Close()
		backend.Close()
		return
	}
	defer b.untrack(client, backend)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		// A crash on either side ends both: the survivor must not wait on
		// a half-open stream.
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	<-done
}

func (b *balancer) track(conns ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	for _, c := range conns {
		b.conns[c] = struct{}{}
	}
	return true
}

func (b *balancer) untrack(conns ...net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range conns {
		delete(b.conns, c)
	}
}

// Accepted returns how many connections each backend took.
func (b *balancer) Accepted() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.accepted...)
}

// Close stops accepting, closes every proxied connection and waits for
// the goroutines to end.
func (b *balancer) Close() {
	b.mu.Lock()
	b.closed = true
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.ln.Close()
	b.wg.Wait()
}
