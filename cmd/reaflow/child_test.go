package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A child definition named by file is read next to its parent and inlined
// into what is submitted, so the run does not depend on the file later.
func TestSubmitInlinesChildDefinitionFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("notify.json", `{"name": "notify", "steps": [
  {"id": "mail", "activity": "email", "with": {"to": "${ input.to }", "subject": "hello"}}
], "output": "${ steps.mail.output.status }"}`)
	parent := filepath.Join(dir, "parent.json")
	write("parent.json", `{"name": "parent", "steps": [
  {"id": "tell", "workflow": {"file": "notify.json", "input": {"to": "a@example.com"}}}
]}`)
	r := reaflow(t, "validate", parent)
	require.Equal(t, 0, r.code, r.stderr)

	id := uniqueID(t)
	r = reaflow(t, "submit", parent, "--id", id, "--wait")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, `"tell": "queued"`)

	write("notify.json", `{"name": "notify", "steps": [{"id": "mail", "activity": "emial"}]}`)
	r = reaflow(t, "validate", parent)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `notify.json:1:57: /steps/0/activity: unknown activity "emial"`)
	assert.Contains(t, r.stderr, `parent.json:2:39: /steps/0/workflow/file: the child definition notify.json is invalid (see above)`)
}
