package dsl_test

import (
	"errors"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

func TestValidateInput(t *testing.T) {
	prog := mustLoad(t, `{
		"name": "in",
		"input": {
			"type": "object",
			"required": ["orderId", "amount"],
			"additionalProperties": false,
			"properties": {
				"orderId": {"type": "string"},
				"amount": {"type": "number", "exclusiveMinimum": 0},
				"email": {"type": "string", "format": "email"}
			}
		},
		"steps": [{"id": "a", "activity": "http"}]
	}`)
	tests := []struct {
		name  string
		input string
		want  string // "" means valid
	}{
		{"valid", `{"orderId": "o1", "amount": 5}`, ""},
		{"missing properties", `{}`, "input:1:1: missing required property \"amount\"\ninput:1:1: missing required property \"orderId\""},
		{"wrong type located in the input", "{\n  \"orderId\": 7,\n  \"amount\": 5\n}", "input:2:14: /orderId: expected string, got number"},
		{"unknown property", `{"orderId": "o", "amount": 1, "extra": 1}`, `input:1:31: /extra: unknown property "extra"`},
		{"number bound", `{"orderId": "o", "amount": 0}`, "input:1:28: /amount: must be > 0 but found 0"},
		{"format is asserted", `{"orderId": "o", "amount": 1, "email": "nope"}`, `input:1:40: /email: not a valid email`},
		{"malformed", `{"orderId": }`, "input:1:13: invalid JSON: invalid character '}' looking for beginning of value"},
		{"empty is null", ``, "input:1:1: expected object, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := prog.ValidateInput([]byte(tt.input))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var list dsl.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v (%T), want an ErrorList", err, err)
			}
			if list.Error() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", list, tt.want)
			}
		})
	}
}

func TestValidateInputWithoutSchema(t *testing.T) {
	prog := mustLoad(t, `{"name": "any", "steps": [{"id": "a", "activity": "http"}]}`)
	for _, input := range []string{``, `null`, `[1, 2]`, `{"x": 1}`} {
		if err := prog.ValidateInput([]byte(input)); err != nil {
			t.Errorf("%q: %v", input, err)
		}
	}
}
