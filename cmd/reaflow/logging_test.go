package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogFormat(t *testing.T) {
	for _, command := range []string{"dev", "serve", "demo"} {
		r := reaflow(t, command, "--log-format", "yaml")
		assert.Equal(t, 2, r.code, command)
		assert.Contains(t, r.stderr, `--log-format must be text or json, not "yaml"`, command)
	}

	// The demo runs from the repository's root, where its example lives.
	t.Chdir("../..")
	r := reaflow(t, "demo", "--log-format", "json", "--log-level", "info")
	require.Equal(t, 0, r.code, r.stderr)
	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "a JSON log line: %s", line)
		assert.Contains(t, entry, "level")
		lines++
	}
	assert.Positive(t, lines, "info logs were written")
}
