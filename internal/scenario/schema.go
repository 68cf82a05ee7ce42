package scenario

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"github.com/reaflow/reaflow/dsl"
	"io"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed scenario.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of scenario files, the
// bytes of internal/scenario/scenario.schema.json. Scenario files name it
// in "$schema" for editors; Load checks every file against it.
func Schema() []byte { return bytes.Clone(schemaJSON) }

const schemaURL = "file:///reaflow/scenario.schema.json"

// fileSchema is compiled once; a compiled schema is safe for concurrent use.
var fileSchema, schemaDoc = func() (*jsonschema.Schema, map[string]any) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("cannot load %s: the scenario schema refers only to itself", s)
	}
	if err := c.AddResource(schemaURL, bytes.NewReader(schemaJSON)); err != nil {
		panic("scenario: embedded schema: " + err.Error())
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		panic("scenario: embedded schema: " + err.Error())
	}
	var doc map[string]any
	if err := json.Unmarshal(schemaJSON, &doc); err != nil {
		panic("scenario: embedded schema: " + err.Error())
	}
	return s, doc
}()

// schemaMessages replaces the validator's wording for keywords whose
// message would describe the schema rather than what to write.
var schemaMessages = map[string]string{
	"/$defs/stepName/pattern":                              "a step name is a step id, with [index] for a foreach item and childStep/ for a step of a child run, e.g. ship[2]",
	"/$defs/duration/pattern":                              "a duration is a number and a unit, e.g. 250ms, 30s, 1m",
	"/$defs/scenario/properties/id/pattern":                "a run id has 1 to 200 letters, digits and - _ . : ~",
	"/$defs/mock/properties/error/properties/code/pattern": "an error code has letters, digits and _ . - only",
}

// checkSchema validates the file against the embedded schema and returns
// every violation located in the file.
func checkSchema(doc *dsl.Locator, value any) ErrorList {
	err := fileSchema.Validate(value)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return ErrorList{{File: doc.File(), Message: err.Error()}}
	}
	var list ErrorList
	seen := map[string]bool{}
	add := func(ptr string, atKey bool, msg string) {
		if seen[ptr+"\x00"+msg] {
			return
		}
		seen[ptr+"\x00"+msg] = true
		list = append(list, doc.ErrorAt(ptr, atKey, msg))
	}
	var walk func(ve *jsonschema.ValidationError)
	walk = func(ve *jsonschema.ValidationError) {
		loc := ve.AbsoluteKeywordLocation
		if i := strings.IndexByte(loc, '#'); i >= 0 {
			loc = loc[i+1:]
		}
		if msg, ok := schemaMessages[loc]; ok {
			add(ve.InstanceLocation, false, msg)
			return
		}
		if strings.HasSuffix(loc, "/anyOf") || strings.HasSuffix(loc, "/oneOf") {
			alternatives(ve, walk, add)
			return
		}
		for _, c := range ve.Causes {
			walk(c)
		}
		if len(ve.Causes) == 0 {
			leaf(ve, loc, add)
		}
	}
	walk(ve)
	list.Sort()
	return list
}

// alternatives reports why no alternative matched. Alternatives the value
// fails only by its type do not apply to it; when none applies, the types
// make one message ("expected string or array, got number").
func alternatives(ve *jsonschema.ValidationError, walk func(*jsonschema.ValidationError), add func(string, bool, string)) {
	var applicable []*jsonschema.ValidationError
	var expected []string
	got := ""
	for _, alt := range ve.Causes {
		l := alt
		for len(l.Causes) == 1 {
			l = l.Causes[0]
		}
		want, actual, isType := strings.Cut(strings.TrimPrefix(l.Message, "expected "), ", but got ")
		if len(l.Causes) == 0 && l.InstanceLocation == ve.InstanceLocation && strings.HasSuffix(l.KeywordLocation, "/type") && isType {
			expected, got = append(expected, want), actual
			continue
		}
		applicable = append(applicable, alt)
	}
	if len(applicable) == 0 {
		add(ve.InstanceLocation, false, fmt.Sprintf("expected %s, got %s", strings.Join(expected, " or "), got))
		return
	}
	for _, alt := range applicable {
		walk(alt)
	}
}

// leaf words one failed keyword for the author.
func leaf(ve *jsonschema.ValidationError, loc string, add func(string, bool, string)) {
	keyword := loc[strings.LastIndexByte(loc, '/')+1:]
	parent := strings.TrimSuffix(loc, "/"+keyword)
	switch keyword {
	case "required":
		for _, name := range quoted(strings.TrimPrefix(ve.Message, "missing properties: ")) {
			add(ve.InstanceLocation, false, fmt.Sprintf("missing required property %q", name))
		}
		return
	case "additionalProperties":
		for _, name := range quoted(strings.TrimSuffix(strings.TrimPrefix(ve.Message, "additionalProperties "), " not allowed")) {
			msg := fmt.Sprintf("unknown property %q", name)
			if known := propertyNames(parent); len(known) > 0 {
				msg += "; allowed: " + strings.Join(known, ", ")
			}
			add(ve.InstanceLocation+"/"+escapePointer(name), true, msg)
		}
		return
	}
	add(ve.InstanceLocation, false, strings.Replace(ve.Message, ", but got ", ", got ", 1))
}

// propertyNames lists the properties the schema object at ptr declares.
func propertyNames(ptr string) []string {
	var node any = schemaDoc
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		if tok != "" {
			node = m[tok]
		}
	}
	m, _ := node.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	var names []string
	for name := range props {
		if name != "$schema" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// quoted parses the validator's list of single-quoted names.
func quoted(list string) []string {
	var names []string
	for i := 0; i < len(list); i++ {
		if list[i] != '\'' {
			continue
		}
		var name strings.Builder
		for i++; i < len(list) && list[i] != '\''; i++ {
			if list[i] == '\\' && i+1 < len(list) {
				i++
			}
			name.WriteByte(list[i])
		}
		names = append(names, name.String())
	}
	return names
}
