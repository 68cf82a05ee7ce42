package interpreter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

func deploy(t *testing.T, name, definition string) (interpreter.DeployResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return ingress.Object[interpreter.DeployRequest, interpreter.DeployResult](client, interpreter.DefinitionsService, name, "Deploy").
		Request(ctx, interpreter.DeployRequest{Definition: definition, File: name + ".json"})
}

func TestDefinitionsRegistryKeepsVersions(t *testing.T) {
	name := fmt.Sprintf("registry-%d", time.Now().UnixNano())
	v1 := `{"name": "` + name + `", "version": "1", "steps": [{"id": "a", "activity": "inspect", "with": "one"}]}`
	v2 := `{"name": "` + name + `", "version": "2", "steps": [{"id": "a", "activity": "inspect", "with": "two"}]}`

	first, err := deploy(t, name, v1)
	require.NoError(t, err)
	assert.False(t, first.Unchanged)
	again, err := deploy(t, name, "{\n"+v1[1:]) // the same content, formatted otherwise
	require.NoError(t, err)
	assert.True(t, again.Unchanged, "deploying identical content is a no-op")
	assert.Equal(t, first.Hash, again.Hash)
	_, err = deploy(t, name, v2)
	require.NoError(t, err)

	_, err = deploy(t, name, `{"name": "`+name+`", "version": "2", "steps": [{"id": "b", "activity": "inspect"}]}`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "version 2 is already deployed with other content")
	_, err = deploy(t, "other-"+name, v1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deploy it under its own name")
	_, err = deploy(t, name, `{"name": "`+name+`", "steps": [{"id": "a", "activity": "nope"}]}`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown activity "nope"`)

	ctx := context.Background()
	versions, err := ingress.Object[restate.Void, []interpreter.DefinitionVersion](client, interpreter.DefinitionsService, name, "Versions").Request(ctx, restate.Void{})
	require.NoError(t, err)
	require.Len(t, versions, 2)
	assert.Equal(t, []string{"1", "2"}, []string{versions[0].Version, versions[1].Version})

	get := ingress.Object[string, interpreter.DeployRequest](client, interpreter.DefinitionsService, name, "Get")
	latest, err := get.Request(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, v2, latest.Definition)
	old, err := get.Request(ctx, "1")
	require.NoError(t, err)
	assert.Equal(t, v1, old.Definition)
	_, err = get.Request(ctx, "3")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `has no version "3"; deployed: [1 2]`)
}

// A run keeps the definition it started with: deploying a version that
// reorders the steps while the run waits changes nothing for it, and the
// next run takes the new order.
func TestRunInFlightKeepsItsDefinition(t *testing.T) {
	name := fmt.Sprintf("pinned-%d", time.Now().UnixNano())
	definition := func(version string, first, second string) string {
		return `{"name": "` + name + `", "version": "` + version + `", "steps": [
		  {"id": "` + first + `", "activity": "record", "with": {"label": "` + first + `"}},
		  {"id": "gate", "await": {"signal": "go"}},
		  {"id": "` + second + `", "activity": "record", "with": {"label": "` + second + `"}}
		]}`
	}
	_, err := deploy(t, name, definition("1", "a", "b"))
	require.NoError(t, err)
	ctx := context.Background()
	get := ingress.Object[string, interpreter.DeployRequest](client, interpreter.DefinitionsService, name, "Get")
	v1, err := get.Request(ctx, "")
	require.NoError(t, err)

	id := uniqueID(t)
	result := start(t, id, []byte(v1.Definition), nil)
	waitFor(t, "the run waits at its gate", func() bool { return len(recordedCalls(id)) == 1 })
	_, err = deploy(t, name, definition("2", "b", "a"))
	require.NoError(t, err)
	waitFor(t, "the signal is delivered", func() bool { return signal(t, id, "go", nil) == nil })
	_, err = result()
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, recordedCalls(id), "the run kept version 1's order")

	v2, err := get.Request(ctx, "")
	require.NoError(t, err)
	next := uniqueID(t)
	result = start(t, next, []byte(v2.Definition), nil)
	waitFor(t, "the next run waits at its gate", func() bool { return len(recordedCalls(next)) == 1 })
	require.NoError(t, signal(t, next, "go", nil))
	_, err = result()
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "a"}, recordedCalls(next), "a new run takes version 2")
}
