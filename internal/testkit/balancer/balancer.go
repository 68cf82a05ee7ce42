// Package balancer is a loopback TCP load balancer for reaflow endpoints.
//
// Restate sends every new invocation of a service to the deployment
// registered last, so two endpoints registered one after the other do not
// share the work: the second takes it all. Several endpoints serve one
// deployment when they sit behind one address, registered once. In
// production that address is a load balancer (an L4 one, or an HTTP/2
// aware one); tests and the cluster scenario use this one, which hands
// each new connection to the next backend, round robin, skipping a backend
// that refuses.
package balancer

import (
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// dialTimeout bounds the attempt to reach one backend; on loopback a
// backend that is down refuses at once.
const dialTimeout = time.Second

// Balancer is a running load balancer.
type Balancer struct {
	ln       net.Listener
	backends []string

	mu       sync.Mutex
	next     int
	conns    map[net.Conn]struct{}
	closed   bool
	accepted []int
	wg       sync.WaitGroup
}

// Start listens on a free loopback port and balances over the backends'
// addresses (host:port).
func Start(backends ...string) (*Balancer, error) {
	if len(backends) == 0 {
		return nil, errors.New("balancer: name at least one backend address")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &Balancer{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}, accepted: make([]int, len(backends))}
	b.wg.Go(b.serve)
	return b, nil
}

// URL is the address to register with Restate, such as
// http://127.0.0.1:41234.
func (b *Balancer) URL() string { return "http://" + b.ln.Addr().String() }

// Accepted returns how many connections each backend took, in the order
// of the backends.
func (b *Balancer) Accepted() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.accepted)
}

// Close stops accepting, closes the connections in flight and waits for
// their copies to end.
func (b *Balancer) Close() error {
	b.mu.Lock()
	b.closed = true
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	err := b.ln.Close()
	b.wg.Wait()
	return err
}

func (b *Balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		b.wg.Go(func() { b.proxy(c) })
	}
}

// proxy joins a client connection to the first backend that accepts,
// starting after the one the previous connection got.
func (b *Balancer) proxy(client net.Conn) {
	b.mu.Lock()
	start := b.next
	b.next = (b.next + 1) % len(b.backends)
	b.mu.Unlock()
	var backend net.Conn
	for i := range b.backends {
		n := (start + i) % len(b.backends)
		if c, err := net.DialTimeout("tcp", b.backends[n], dialTimeout); err == nil {
			backend = c
			b.mu.Lock()
			b.accepted[n]++
			b.mu.Unlock()
			break
		}
	}
	// With every backend down, closing the connection is what Restate
	// sees from an endpoint that is down: it retries the invocation.
	if backend == nil || !b.track(client, backend) {
		client.Close()
		if backend != nil {
			backend.Close()
		}
		return
	}
	defer b.untrack(client, backend)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		// One side gone ends both: the other must not wait on a
		// half-open connection.
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	<-done
}

func (b *Balancer) track(conns ...net.Conn) bool {
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

func (b *Balancer) untrack(conns ...net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range conns {
		delete(b.conns, c)
	}
}
