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
	// The binary built for the tests carries the module's build info.
	out, err := exec.Command(reaflowBin, "version").Output()
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^reaflow \S+( [0-9a-f]{12}(\+changes)?)? go1\.\d+`), string(out))
}
