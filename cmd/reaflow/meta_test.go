package main

import (
	"encoding/json"
	"os/exec"
	"regexp"
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
	// The test binary is built with -buildvcs=auto: from a git clone it
	// records its commit, as a release build does (a worktree, whose .git
	// is a file, or a tarball records none). `go version -m`, the
	// toolchain's own reader, says which.
	info, err := exec.Command("go", "version", "-m", reaflowBin).Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s+build\s+vcs\.revision=([0-9a-f]{12})`).FindSubmatch(info)
	if m == nil {
		assert.Regexp(t, `^reaflow \S+ go1\.[0-9.]+\n$`, string(out), "no commit recorded, none shown")
		return
	}
	assert.Regexp(t, `^reaflow \S+ `+string(m[1])+`(\+changes)? go1\.[0-9.]+\n$`, string(out), "the commit the binary records")
}
