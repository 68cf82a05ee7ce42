package dsl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A string of many escaped "$${" (a definition may be a megabyte of them)
// must be split in linear time: its text run is built once, not copied
// again at every escape.
func TestSplitTemplateManyEscapes(t *testing.T) {
	const n = 20000
	s := strings.Repeat("$${", n) + "${ input.a }" + strings.Repeat("$${", n)
	var segs []segment
	allocs := testing.AllocsPerRun(1, func() {
		var err error
		segs, _, err = splitTemplate(s)
		require.NoError(t, err)
	})
	require.Len(t, segs, 3)
	assert.Equal(t, strings.Repeat("${", n), segs[0].text)
	assert.Equal(t, " input.a ", segs[1].text)
	assert.Equal(t, strings.Repeat("${", n), segs[2].text)
	assert.Less(t, allocs, 200.0, "allocations grow with the escapes")
}
