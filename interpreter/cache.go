package interpreter

import (
	"container/list"
	"crypto/sha256"
	"sync"

	"github.com/reaflow/reaflow/dsl"
)

// programCache keeps the most recently used compiled programs, keyed by the
// SHA-256 of the definition text, so that a run does not compile its
// definition again on every invocation attempt and replay, and runs of the
// same definition share one compiled program. Programs are immutable, so
// sharing them is safe. The cache is bounded by count; only definitions
// that compiled are cached, so a bad definition is checked (and reported)
// every time.
type programCache struct {
	mu      sync.Mutex
	limit   int
	order   *list.List // of *cacheEntry, most recently used first
	entries map[[sha256.Size]byte]*list.Element
}

type cacheEntry struct {
	key  [sha256.Size]byte
	prog *dsl.Program
}

func newProgramCache(limit int) *programCache {
	return &programCache{limit: limit, order: list.New(), entries: map[[sha256.Size]byte]*list.Element{}}
}

// load returns the program for definition, compiling it with load on a miss.
func (c *programCache) load(definition string, load func() (*dsl.Program, error)) (*dsl.Program, error) {
	if c.limit <= 0 {
		return load()
	}
	key := sha256.Sum256([]byte(definition))
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*cacheEntry).prog, nil
	}
	c.mu.Unlock()

	// Compile outside the lock: two runs missing on the same definition at
	// once both compile it, which costs time but is correct.
	prog, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok {
		c.entries[key] = c.order.PushFront(&cacheEntry{key: key, prog: prog})
		if c.order.Len() > c.limit {
			oldest := c.order.Back()
			c.order.Remove(oldest)
			delete(c.entries, oldest.Value.(*cacheEntry).key)
		}
	}
	return prog, nil
}

// len reports how many programs are cached.
func (c *programCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
