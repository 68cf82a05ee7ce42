package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

// Definitions deployed to Restate are listed with their versions and run
// by name; a run keeps the version it started with.
func TestDeployDefinitionsAndSubmitByName(t *testing.T) {
	name := fmt.Sprintf("deployed-%d", time.Now().UnixNano())
	definition := func(version, subject string) string {
		return fmt.Sprintf(`{"name": %q, "version": %q, "steps": [
  {"id": "mail", "activity": "email", "with": {"to": "a@example.com", "subject": %q}}
], "output": "${ steps.mail.output.status }"}`, name, version, subject)
	}
	v1 := writeFile(t, "v1.json", definition("1.0.0", "first"))
	v2 := writeFile(t, "v2.json", definition("1.1.0", "second"))

	r := reaflow(t, "deploy", v1)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "deployed "+name+"@1.0.0")
	r = reaflow(t, "deploy", v1)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "unchanged "+name+"@1.0.0")

	bad := writeFile(t, "bad.json", `{"name": "x", "steps": [{"id": "a", "activity": "nope"}]}`)
	r = reaflow(t, "deploy", v2, bad)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "bad.json is invalid; nothing was deployed")
	r = reaflow(t, "definitions", "--json", name)
	require.Equal(t, 0, r.code, r.stderr)
	var versions []interpreter.DefinitionVersion
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &versions))
	require.Len(t, versions, 1, "nothing of a failed deploy was applied")

	r = reaflow(t, "deploy", v2)
	require.Equal(t, 0, r.code, r.stderr)
	r = reaflow(t, "definitions")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `(?m)^`+name+` +1\.0\.0 +sha256:\w{12} `, r.stdout)
	assert.Regexp(t, `(?m)^`+name+` +1\.1\.0 +sha256:\w{12} .* v2\.json$`, r.stdout)

	id := uniqueID(t)
	r = reaflow(t, "submit", name+"@1.0.0", "--id", id, "--wait")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "submitted "+name+" 1.0.0 as "+id)
	r = reaflow(t, "submit", name, "--id", uniqueID(t))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "submitted "+name+" 1.1.0", "without a version, the latest")

	r = reaflow(t, "submit", name+"@9.9.9")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `has no version "9.9.9"; deployed: [1.0.0 1.1.0]`)
	r = reaflow(t, "submit", "never-deployed-"+name)
	assert.Equal(t, 1, r.code)
	assert.True(t, strings.Contains(r.stderr, "is deployed (reaflow deploy FILE deploys one)"), r.stderr)
}

func TestDefinitionsWithoutRestateSaysHowToStartOne(t *testing.T) {
	r := reaflow(t, "definitions", "--admin", "http://127.0.0.1:1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "start one with 'reaflow dev'")
}
