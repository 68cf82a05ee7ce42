package dsl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fast path of the schema check decides every keyword of the workflow
// schema itself; only the meta-schema it refers to for the schemas inside
// a definition is left to the validator.
func TestWorkflowSchemaIsConformable(t *testing.T) {
	seen := map[*jsonschema.Schema]bool{}
	var walk func(s *jsonschema.Schema)
	walk = func(s *jsonschema.Schema) {
		if s == nil || seen[s] || !strings.HasPrefix(s.Location, schemaURL) {
			return
		}
		seen[s] = true
		assert.True(t, conformable(s), "%s uses a keyword conforms does not implement: add it there, or every definition is validated the slow way", s.Location)
		for _, sub := range append(append(append([]*jsonschema.Schema{s.Ref, s.Not, s.If, s.Then, s.Else, s.PropertyNames, s.Items2020}, s.AllOf...), s.AnyOf...), s.OneOf...) {
			walk(sub)
		}
		for _, sub := range s.Properties {
			walk(sub)
		}
		if sub, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
			walk(sub)
		}
	}
	walk(workflowSchema)
	assert.Greater(t, len(seen), 50, "the walk must reach the step schemas")
}

func TestConformableRefusesUnknownKeywords(t *testing.T) {
	for name, schema := range map[string]string{
		"enum":        `{"enum": [1, 2]}`,
		"format":      `{"format": "date"}`,
		"uniqueItems": `{"uniqueItems": true}`,
		"contains":    `{"contains": {"type": "string"}}`,
	} {
		s, err := compileSchema("file:///test.json", []byte(schema))
		require.NoError(t, err, name)
		assert.False(t, conformable(s), name)
	}
}

// conforms must answer exactly as the validator does, or Load would accept
// a definition the schema refuses (or explain an error that is not there).
func TestConformsAgreesWithTheValidator(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.json")
	require.NoError(t, err)
	seeds, err := filepath.Glob("testdata/fuzz/*/*")
	require.NoError(t, err)
	valid, invalid := 0, 0
	for _, path := range append(files, seeds...) {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		doc, perr := parseDocument(path, data, DefaultMaxDepth)
		if perr != nil {
			continue
		}
		want := workflowSchema.Validate(doc.root.toAny()) == nil
		assert.Equal(t, want, conforms(workflowSchema, doc.root), path)
		if want {
			valid++
		} else {
			invalid++
		}
	}
	// Both answers must have been exercised for the comparison to mean
	// anything.
	assert.Greater(t, valid, 20)
	assert.Greater(t, invalid, 20)
}

// FuzzConforms compares conforms with the validator on any JSON document.
func FuzzConforms(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.json")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, perr := parseDocument("fuzz.json", data, DefaultMaxDepth)
		if perr != nil {
			return
		}
		err := workflowSchema.Validate(doc.root.toAny())
		if got := conforms(workflowSchema, doc.root); got != (err == nil) {
			t.Fatalf("conforms says %v, the validator: %v", got, err)
		}
	})
}

// The schemas a definition holds are checked against the meta-schema,
// whose $dynamicRef must resolve as in a validation of the whole document:
// to the full meta-schema, not to the vocabulary meta-schema holding it.
func TestConformsChecksNestedSchemasWithTheWholeMetaSchema(t *testing.T) {
	for _, schema := range []string{
		`{"properties": {"a": {"type": 5}}}`,
		`{"items": {"minLength": "x"}}`,
		`{"allOf": [{"type": 5}]}`,
		`{"properties": {"a": {"properties": {"b": {"required": 1}}}}}`,
		`{"properties": {"a": {"type": "string"}}}`,
	} {
		for _, src := range []string{
			`{"name": "x", "steps": [{"id": "a", "activity": "x"}], "input": ` + schema + `}`,
			`{"name": "x", "steps": [{"id": "a", "await": {"signal": "s", "schema": ` + schema + `}}]}`,
		} {
			doc, perr := parseDocument("x.json", []byte(src), DefaultMaxDepth)
			require.Nil(t, perr, src)
			err := workflowSchema.Validate(doc.root.toAny())
			assert.Equal(t, err == nil, conforms(workflowSchema, doc.root), "%s: the validator says %v", src, err)
		}
	}
}
