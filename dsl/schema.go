package dsl

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed schema/workflow.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of workflow definitions,
// the same bytes as dsl/schema/workflow.schema.json. Editors use it through
// "$schema"; Load checks every definition against it.
func Schema() []byte { return bytes.Clone(schemaJSON) }

const schemaURL = "file:///reaflow/workflow.schema.json"

// workflowSchema is compiled once per process; a compiled schema is safe for
// concurrent use.
var workflowSchema, schemaDoc = func() (*jsonschema.Schema, any) {
	s, err := compileSchema(schemaURL, schemaJSON)
	if err != nil {
		panic("dsl: embedded schema: " + err.Error())
	}
	var doc any
	if err := json.Unmarshal(schemaJSON, &doc); err != nil {
		panic("dsl: embedded schema: " + err.Error())
	}
	return s, doc
}()

// compileSchema compiles a schema that may refer only to itself and to the
// JSON Schema meta-schemas (built into the validator). Loading other URLs
// is refused: a definition must not make the server read files or fetch
// from the network, and validation must not depend on anything but the
// definition.
func compileSchema(url string, data []byte) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("cannot load %s: a schema may only refer to itself", s)
	}
	if err := c.AddResource(url, bytes.NewReader(data)); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// schemaMessages replaces the validator's message for keywords of the
// embedded schema (by keyword location) with one people can act on. An
// entry also stops the walk into the keyword's causes: for oneOf, the
// causes are each alternative's complaints, which only confuse.
var schemaMessages = map[string]string{
	"/$defs/step/oneOf":                                "step must have exactly one of: activity, set, switch, parallel, foreach, sleep, await, fail, return, workflow",
	"/$defs/step/properties/id/pattern":                "step id must start with a letter or '_' and contain only letters, digits and '_' (it is used as steps.<id> in expressions)",
	"/$defs/step/properties/set/propertyNames/pattern": "variable name must start with a letter or '_' and contain only letters, digits and '_' (it is used as vars.<name> in expressions)",
	"/properties/name/pattern":                         "name must start with a letter and contain only letters, digits, '_', '.' and '-'",
	"/$defs/steps/minItems":                            "a list of steps needs at least one step",
	"/$defs/retry/properties/maxAttempts/minimum":      "maxAttempts must be at least 1 (it counts the first attempt)",
	"/$defs/retry/properties/backoffFactor/minimum":    "backoffFactor must be at least 1",
	"/$defs/expression/minLength":                      "expression is empty",
	"/$defs/step/properties/activity/minLength":        "activity name is empty",
	"/$defs/step/properties/set/minProperties":         "set needs at least one variable",
	"/$defs/foreach/properties/concurrency/maximum":    "concurrency must be at most 100: that many items (each a chain of journaled steps) run at once; larger lists are fine, they run in turns",
	"/$defs/foreach/properties/concurrency/minimum":    "concurrency must be at least 1",
	"/$defs/workflow/oneOf":                            "workflow needs exactly one of: definition (inline) or file",
}

// schemaViolation is one leaf of a validation error tree.
type schemaViolation struct {
	pointer   string
	atKey     bool // locate at the member's key rather than its value
	wrongType bool
	message   string
}

// schemaViolations flattens a validation error to its leaves with human
// messages: one per missing or unknown property, a type mismatch alone
// rather than with everything else that fails for a value of the wrong type.
// doc is the decoded schema, for hints; with a nil doc (a user's input
// schema) the messages specific to the workflow schema do not apply.
func schemaViolations(err error, src *schemaSource) []schemaViolation {
	var doc any
	var messages map[string]string
	if src != nil {
		doc, messages = src.doc, src.messages
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []schemaViolation{{message: err.Error()}}
	}
	var out []schemaViolation
	var walk func(ve *jsonschema.ValidationError)
	walk = func(ve *jsonschema.ValidationError) {
		loc := keywordFragment(ve.AbsoluteKeywordLocation)
		if msg, ok := messages[loc]; ok {
			out = append(out, schemaViolation{pointer: ve.InstanceLocation, message: msg})
			return
		}
		if strings.HasSuffix(loc, "/anyOf") || strings.HasSuffix(loc, "/oneOf") {
			walkAlternatives(ve, walk, &out)
			return
		}
		if len(ve.Causes) > 0 {
			for _, c := range ve.Causes {
				walk(c)
			}
			return
		}
		out = append(out, leafViolations(ve, loc, doc)...)
	}
	walk(ve)

	// A value of the wrong type fails other keywords too (a string step
	// has neither activity nor set); the type mismatch is the one to fix.
	wrongType := map[string]bool{}
	for _, v := range out {
		if v.wrongType {
			wrongType[v.pointer] = true
		}
	}
	out = slices.DeleteFunc(out, func(v schemaViolation) bool {
		return wrongType[v.pointer] && !v.wrongType
	})
	return slices.CompactFunc(out, func(a, b schemaViolation) bool { return a == b })
}

// walkAlternatives reports why no alternative of an anyOf or oneOf
// matched. An alternative that fails only because the value has another
// type does not apply and is left out: for `"type": "objekt"` the useful
// complaint is the enum of type names, not "expected array". When no
// alternative applies, the types are merged into one message.
func walkAlternatives(ve *jsonschema.ValidationError, walk func(*jsonschema.ValidationError), out *[]schemaViolation) {
	var applicable []*jsonschema.ValidationError
	var expected []string
	got := ""
	for _, alt := range ve.Causes {
		leaf := alt
		for len(leaf.Causes) == 1 {
			leaf = leaf.Causes[0]
		}
		want, actual, isType := strings.Cut(strings.TrimPrefix(leaf.Message, "expected "), ", but got ")
		if len(leaf.Causes) == 0 && leaf.InstanceLocation == ve.InstanceLocation &&
			strings.HasSuffix(leaf.KeywordLocation, "/type") && isType {
			expected, got = append(expected, want), actual
			continue
		}
		applicable = append(applicable, alt)
	}
	if len(applicable) == 0 && got != "" {
		*out = append(*out, schemaViolation{pointer: ve.InstanceLocation, wrongType: true,
			message: fmt.Sprintf("expected %s, got %s", strings.Join(expected, " or "), got)})
		return
	}
	if len(applicable) == 0 {
		applicable = ve.Causes
	}
	for _, alt := range applicable {
		walk(alt)
	}
}

// leafViolations rewrites the messages of keywords whose validator text is
// about the schema rather than the document.
func leafViolations(ve *jsonschema.ValidationError, loc string, doc any) []schemaViolation {
	keyword := loc[strings.LastIndexByte(loc, '/')+1:]
	parent := strings.TrimSuffix(loc, "/"+keyword)
	switch {
	case keyword == "required":
		// "missing properties: 'a', 'b'": the names are in the schema too.
		var out []schemaViolation
		for _, name := range missingNames(ve.Message) {
			out = append(out, schemaViolation{pointer: ve.InstanceLocation, message: fmt.Sprintf("missing required property %q", name)})
		}
		return out
	case keyword == "additionalProperties":
		var out []schemaViolation
		for _, name := range quotedNames(strings.TrimSuffix(strings.TrimPrefix(ve.Message, "additionalProperties "), " not allowed")) {
			msg := "unknown property " + quoteName(name)
			if known := schemaPropertyNames(doc, parent); len(known) > 0 {
				msg += "; allowed: " + strings.Join(known, ", ")
			}
			out = append(out, schemaViolation{pointer: ve.InstanceLocation + "/" + escapePointer(name), atKey: true, message: msg})
		}
		return out
	case keyword == "format" && strings.HasSuffix(ve.Message, "'"):
		// "'nope' is not valid 'email'": the value is under the caret.
		names := quotedNames(ve.Message)
		return []schemaViolation{{pointer: ve.InstanceLocation, message: "not a valid " + names[len(names)-1]}}
	case strings.Contains(loc, "/dependentRequired/"):
		// ".../dependentRequired/with/0": "with" needs "activity".
		parts := strings.Split(loc, "/")
		prop := parts[len(parts)-2]
		return []schemaViolation{{pointer: ve.InstanceLocation + "/" + prop, atKey: true, message: fmt.Sprintf("%q is only allowed in activity steps", prop)}}
	}
	msg := strings.Replace(ve.Message, ", but got ", ", got ", 1)
	return []schemaViolation{{pointer: ve.InstanceLocation, wrongType: keyword == "type", message: msg}}
}

// keywordFragment returns the JSON pointer part of an absolute keyword
// location, the key of schemaMessages.
func keywordFragment(abs string) string {
	if i := strings.IndexByte(abs, '#'); i >= 0 {
		return abs[i+1:]
	}
	return abs
}

// schemaPropertyNames lists the properties the schema object at ptr (in
// the embedded schema) declares, for "allowed: ..." hints.
func schemaPropertyNames(doc any, ptr string) []string {
	node := doc
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
	names := make([]string, 0, len(props))
	for name := range props {
		if name != "$schema" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func missingNames(msg string) []string {
	return quotedNames(strings.TrimPrefix(msg, "missing properties: "))
}

// quotedNames parses the validator's list of single-quoted names, e.g.
// `'a', 'b'` (quotes inside names are backslash-escaped).
func quotedNames(list string) []string {
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

// checkSchema validates the parsed definition against the embedded schema.
func (c *checker) checkSchema() {
	err := workflowSchema.Validate(c.doc.root.toAny())
	if err == nil {
		return
	}
	for _, v := range schemaViolations(err, &workflowSource) {
		c.errs = append(c.errs, c.doc.errorAtPointer(v.pointer, v.atKey, v.message))
	}
}

// schemaSource is what violation messages use from a schema of reaflow's
// own: its decoded document, for "allowed: ..." hints, and messages that
// replace the validator's wording by keyword location.
type schemaSource struct {
	doc      any
	messages map[string]string
}

var workflowSource = schemaSource{doc: schemaDoc, messages: schemaMessages}

// JSONSchema is a compiled JSON Schema (draft 2020-12) whose violations are
// reported as Load reports a definition's: each located in its file, with
// messages people can act on. Other JSON files of reaflow's (scenario
// files) are checked with it.
type JSONSchema struct {
	schema *jsonschema.Schema
	src    schemaSource
}

// CompileJSONSchema compiles a schema, named url, that may refer only to
// itself. messages replace the validator's wording for keyword locations
// such as "/$defs/duration/pattern", with text that says what to write.
func CompileJSONSchema(url string, schema []byte, messages map[string]string) (*JSONSchema, error) {
	compiled, err := compileSchema(url, schema)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(schema, &doc); err != nil {
		return nil, err
	}
	return &JSONSchema{schema: compiled, src: schemaSource{doc: doc, messages: messages}}, nil
}

// Check validates value, the decoded form of the document l locates, and
// returns every violation located there, in file order.
func (s *JSONSchema) Check(l *Locator, value any) ErrorList {
	err := s.schema.Validate(value)
	if err == nil {
		return nil
	}
	var list ErrorList
	for _, v := range schemaViolations(err, &s.src) {
		list = append(list, l.ErrorAt(v.pointer, v.atKey, v.message))
	}
	list.Sort()
	return list
}
