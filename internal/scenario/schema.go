package scenario

import (
	"bytes"
	_ "embed"

	"github.com/reaflow/reaflow/dsl"
)

//go:embed scenario.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of scenario files, the
// bytes of internal/scenario/scenario.schema.json. Scenario files name it
// in "$schema" for editors; Load checks every file against it.
func Schema() []byte { return bytes.Clone(schemaJSON) }

const schemaURL = "file:///reaflow/scenario.schema.json"

// fileSchema is compiled once; it is safe for concurrent use.
var fileSchema = func() *dsl.JSONSchema {
	s, err := dsl.CompileJSONSchema(schemaURL, schemaJSON, schemaMessages)
	if err != nil {
		panic("scenario: embedded schema: " + err.Error())
	}
	return s
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
	return fileSchema.Check(doc, value)
}
