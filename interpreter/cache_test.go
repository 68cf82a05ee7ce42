package interpreter

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
)

func definitionNamed(name string) string {
	return fmt.Sprintf(`{"name": %q, "steps": [{"id": "a", "set": {"x": 1}}]}`, name)
}

// loader compiles definitions and counts how often it was asked to.
type loader struct{ calls int }

func (l *loader) load(definition string) func() (*dsl.Program, error) {
	return func() (*dsl.Program, error) {
		l.calls++
		return dsl.Load("test.json", []byte(definition))
	}
}

func TestProgramCache(t *testing.T) {
	cache := newProgramCache(2)
	var l loader
	a, err := cache.load(definitionNamed("a"), l.load(definitionNamed("a")))
	require.NoError(t, err)
	again, err := cache.load(definitionNamed("a"), l.load(definitionNamed("a")))
	require.NoError(t, err)
	assert.Same(t, a, again, "a hit returns the compiled program")
	assert.Equal(t, 1, l.calls)

	_, _ = cache.load(definitionNamed("b"), l.load(definitionNamed("b")))
	_, _ = cache.load(definitionNamed("a"), l.load(definitionNamed("a"))) // a is now the most recent
	_, _ = cache.load(definitionNamed("c"), l.load(definitionNamed("c"))) // evicts b
	assert.Equal(t, 2, cache.len())
	assert.Equal(t, 3, l.calls)
	_, _ = cache.load(definitionNamed("a"), l.load(definitionNamed("a")))
	assert.Equal(t, 3, l.calls, "a stayed")
	_, _ = cache.load(definitionNamed("b"), l.load(definitionNamed("b")))
	assert.Equal(t, 4, l.calls, "b was evicted")
}

func TestProgramCacheKeepsNoFailures(t *testing.T) {
	cache := newProgramCache(2)
	calls := 0
	failing := func() (*dsl.Program, error) { calls++; return nil, errors.New("bad") }
	for range 2 {
		_, err := cache.load("{", failing)
		assert.EqualError(t, err, "bad")
	}
	assert.Equal(t, 2, calls)
	assert.Zero(t, cache.len())
}

func TestProgramCacheOff(t *testing.T) {
	cache := newProgramCache(0)
	var l loader
	for range 2 {
		_, err := cache.load(definitionNamed("a"), l.load(definitionNamed("a")))
		require.NoError(t, err)
	}
	assert.Equal(t, 2, l.calls)
}
