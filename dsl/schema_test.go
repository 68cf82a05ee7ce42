package dsl_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

func TestSchema(t *testing.T) {
	file, err := os.ReadFile("schema/workflow.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dsl.Schema(), file) {
		t.Fatal("Schema() differs from schema/workflow.schema.json")
	}
	var schema map[string]any
	if err := json.Unmarshal(file, &schema); err != nil {
		t.Fatal(err)
	}
	// Editors show descriptions on hover and in completions: every
	// property of every object in the schema needs one.
	var walk func(path string, node any)
	walk = func(path string, node any) {
		m, ok := node.(map[string]any)
		if !ok {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for name, prop := range props {
				if _, ok := prop.(map[string]any)["description"]; !ok {
					t.Errorf("%s/properties/%s has no description", path, name)
				}
			}
		}
		for key, child := range m {
			walk(path+"/"+key, child)
		}
	}
	walk("", schema)
}
