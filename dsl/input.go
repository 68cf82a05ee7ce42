package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// inputSchema is a definition's compiled "input" schema.
type inputSchema struct {
	schema   *jsonschema.Schema
	maxDepth int
}

const inputSchemaURL = "file:///reaflow/input.schema.json"

// inputSchema compiles the definition's "input" JSON Schema. When the
// workflow schema check already found it malformed (it validates "input"
// against the JSON Schema meta-schema), compiling would only repeat that.
// compileUserSchema compiles a JSON Schema written in the definition; what
// names it in the error ("input", "await schema").
func (c *checker) compileUserSchema(v *value, what string) *inputSchema {
	ptr := v.pointer()
	for _, e := range c.errs {
		if e.Pointer == ptr || strings.HasPrefix(e.Pointer, ptr+"/") {
			return nil
		}
	}
	schema, err := compileSchema(inputSchemaURL, canonical(v, 0))
	if err != nil {
		var se *jsonschema.SchemaError
		if errors.As(err, &se) && se.Err != nil {
			err = se.Err
		}
		c.errorAt(v, "invalid "+what+" schema: "+strings.TrimPrefix(err.Error(), "jsonschema: "))
		return nil
	}
	return &inputSchema{schema: schema, maxDepth: c.lim.maxDepth}
}

// ValidateInput checks a run's input against the definition's "input"
// schema, before any step runs; without a schema, it checks only that the
// input is JSON within the limits on nesting (WithMaxDepth) and numbers
// (each must fit a float64). Problems are returned as an ErrorList whose
// File is "input" and whose pointers point into the input. An empty input
// is validated as null.
func (p *Program) ValidateInput(input json.RawMessage) error {
	return p.input.validate("input", input)
}

// validate checks data, named file in errors, against the schema; without
// one (s.schema nil) it checks only the JSON and its limits.
func (s *inputSchema) validate(file string, input json.RawMessage) error {
	if s == nil {
		return nil
	}
	if len(bytes.TrimSpace(input)) == 0 {
		input = json.RawMessage("null")
	}
	doc, syntaxErr := parseDocument(file, input, s.maxDepth)
	if syntaxErr != nil {
		return ErrorList{syntaxErr}
	}
	if s.schema == nil {
		return nil
	}
	err := validateSafely(s.schema, doc.root.toAny())
	if err == nil {
		return nil
	}
	var list ErrorList
	for _, v := range schemaViolations(err, nil) {
		list = append(list, doc.errorAtPointer(v.pointer, v.atKey, v.message))
	}
	list.Sort()
	return list
}

// validateSafely runs the validator, turning a panic of its own (it has
// had them on unusual numbers) into an error: the input is refused rather
// than the process, or the Restate handler, brought down.
func validateSafely(schema *jsonschema.Schema, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the value cannot be checked against the schema: %v", r)
		}
	}()
	return schema.Validate(v)
}
