package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
)

func TestSchemaPrintsTheDefinitionSchema(t *testing.T) {
	r := reaflow(t, "schema")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, string(dsl.Schema()), r.stdout)
	var schema map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &schema))
	assert.Equal(t, "reaflow workflow definition", schema["title"])
}

func TestVersionComesFromBuildInfo(t *testing.T) {
	out, err := exec.Command(reaflowBin, "version").Output()
	require.NoError(t, err)
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		// Not built from a git checkout: no commit to show.
		assert.Regexp(t, `^reaflow \S+ go1\.\d+`, string(out))
		return
	}
	// The test binary is built from this checkout with -buildvcs=auto, so
	// it must name the checkout's commit.
	revision := strings.TrimSpace(string(head))[:12]
	assert.Regexp(t, `^reaflow \S+ `+revision+`(\+changes)? go1\.[0-9.]+\n$`, string(out), "the commit the binary was built from")
}
