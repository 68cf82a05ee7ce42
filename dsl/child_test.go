package dsl_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
)

// readFrom reads child definitions relative to dir, as the CLI does.
func readFrom(dir string) dsl.Option {
	return dsl.WithFiles(func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) })
}

func TestChildDefinitionFromAFileIsInlined(t *testing.T) {
	dir := t.TempDir()
	child := `{"name": "child", "steps": [{"id": "a", "activity": "http", "with": "${ input.x }"}]}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "child.json"), []byte(child), 0o644))
	parent := []byte(`{"name": "parent", "steps": [{"id": "run", "workflow": {"file": "child.json", "input": {"x": 1}}}]}`)

	prog, err := dsl.Load("parent.json", parent, readFrom(dir))
	require.NoError(t, err)
	step := prog.Step("run").(*dsl.WorkflowStep)
	assert.Equal(t, "child.json", step.File)
	assert.JSONEq(t, child, step.Definition)
	assert.Contains(t, string(prog.Canonical), `"definition":{"name":"child"`, "the run pins the child's definition")
	assert.NotContains(t, string(prog.Canonical), `"file"`)
	assert.True(t, prog.Inlined)

	// The inlined form loads on a server, which reads no files.
	again, err := dsl.Load("parent.json", prog.Canonical)
	require.NoError(t, err)
	assert.Equal(t, prog.Hash, again.Hash)

	// A change in the child changes the parent's hash.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "child.json"), []byte(`{"name": "child", "steps": [{"id": "b", "activity": "http"}]}`), 0o644))
	changed, err := dsl.Load("parent.json", parent, readFrom(dir))
	require.NoError(t, err)
	assert.NotEqual(t, prog.Hash, changed.Hash)
}

func TestChildDefinitionFileErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{\"name\": \"bad\",\n \"steps\": [{\"id\": \"a\", \"activity\": \"http\", \"with\": \"${ nope }\"}]}"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loop.json"), []byte(`{"name": "loop", "steps": [{"id": "a", "workflow": {"file": "loop.json"}}]}`), 0o644))
	tests := map[string][]string{
		"bad.json": {
			`bad.json:2:56: /steps/0/with: unknown name nope`,
			`parent.json:1:65: /steps/0/workflow/file: the child definition bad.json is invalid (see above)`,
		},
		"loop.json": {
			`loop.json:1:61: /steps/0/workflow/file: file "loop.json" includes itself`,
			`parent.json:1:65: /steps/0/workflow/file: the child definition loop.json is invalid (see above)`,
		},
		"missing.json": {
			`parent.json:1:65: /steps/0/workflow/file: cannot read the child definition: open ` + filepath.Join(dir, "missing.json") + `: no such file or directory`,
		},
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			parent := []byte(`{"name": "parent", "steps": [{"id": "run", "workflow": {"file": "` + file + `"}}]}`)
			_, err := dsl.Load("parent.json", parent, readFrom(dir))
			var list dsl.ErrorList
			require.ErrorAs(t, err, &list)
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			assert.ElementsMatch(t, want, got)
		})
	}
}

// An inline child shares its parent's document, but not its size: each of
// many children in a large file must not allocate as much as the file.
func TestManyInlineChildrenInALargeFile(t *testing.T) {
	steps := make([]string, 300)
	for i := range steps {
		steps[i] = fmt.Sprintf(`{"id": "w%d", "workflow": {"definition": {"name": "c", "steps": [{"id": "a", "activity": "http"}]}}}`, i)
	}
	def := []byte(`{"name": "p", "description": "` + strings.Repeat("x", 800_000) + `", "steps": [` + strings.Join(steps, ",") + `]}`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := dsl.Load("p.json", def)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	// About 3 MB; 250 MB when every child's canonical buffer was sized
	// by the file.
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(60<<20), "bytes allocated")
}
