package dsl_test

import (
	"bytes"
	"encoding/json"
	"errors"
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

// The schemas a definition holds (input, signal payloads) are checked
// against the JSON Schema meta-schema, down to their nested schemas.
func TestNestedSchemasAreCheckedAgainstTheMetaSchema(t *testing.T) {
	for schema, want := range map[string]string{
		`{"properties": {"a": {"type": 5}}}`:                            "/properties/a/type",
		`{"items": {"minLength": "x"}}`:                                 "/items/minLength",
		`{"allOf": [{"type": 5}]}`:                                      "/allOf/0/type",
		`{"properties": {"a": {"properties": {"b": {"required": 1}}}}}`: "/properties/a/properties/b/required",
		`{"properties": {"a": {"type": "string"}}}`:                     "",
	} {
		for prefix, src := range map[string]string{
			"/input":                `{"name": "x", "steps": [{"id": "a", "activity": "x"}], "input": ` + schema + `}`,
			"/steps/0/await/schema": `{"name": "x", "steps": [{"id": "a", "await": {"signal": "s", "schema": ` + schema + `}}]}`,
		} {
			_, err := dsl.Load("x.json", []byte(src))
			if want == "" {
				if err != nil {
					t.Errorf("%s: %v", src, err)
				}
				continue
			}
			var list dsl.ErrorList
			if !errors.As(err, &list) || len(list) == 0 || list[0].Pointer != prefix+want {
				t.Errorf("%s: got %v, want an error at %s", src, err, prefix+want)
			}
		}
	}
}
