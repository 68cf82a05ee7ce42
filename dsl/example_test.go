package dsl_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/reaflow/reaflow/dsl"
)

func ExampleLoad() {
	definition := []byte(`{
  "name": "greet",
  "steps": [
    { "id": "hello", "activity": "email",
      "with": { "to": "${ input.email }", "subject": "Hello ${ input.name }" } }
  ],
  "output": "${ steps.hello.output.id }"
}`)
	prog, err := dsl.Load("greet.json", definition, dsl.WithActivityNames("email", "http"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, step := range prog.Steps {
		switch s := step.(type) {
		case *dsl.ActivityStep:
			fmt.Println(s.ID, "calls", s.Activity)
		case *dsl.SetStep:
			fmt.Println(s.ID, "sets", len(s.Vars), "variables")
		}
	}
	// Output:
	// hello calls email
}

func ExampleLoad_errors() {
	definition := []byte(`{
  "name": "greet",
  "steps": [
    { "id": "hello", "activity": "emial", "with": "${ inptu.email }" }
  ]
}`)
	_, err := dsl.Load("greet.json", definition, dsl.WithActivityNames("email", "http"))
	var list dsl.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e)
			fmt.Println(e.Snippet())
		}
	}
	// Output:
	// greet.json:4:34: /steps/0/activity: unknown activity "emial"; registered: email, http
	//    4 |     { "id": "hello", "activity": "emial", "with": "${ inptu.email }" }
	//      |                                  ^
	// greet.json:4:55: /steps/0/with: unknown name inptu; did you mean "input"?
	//    4 |     { "id": "hello", "activity": "emial", "with": "${ inptu.email }" }
	//      |                                                       ^
}

func ExampleTemplate_Eval() {
	prog, err := dsl.Load("t.json", []byte(`{
  "name": "t",
  "steps": [
    { "id": "charge", "activity": "charge",
      "with": {
        "amount": "${ input.amount * 100 }",
        "memo": "Order ${ input.orderId }: ${ input.items }",
        "currency": "usd"
      } }
  ]
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var input any
	_ = json.Unmarshal([]byte(`{"orderId": "A-1", "amount": 12.5, "items": ["book", "pen"]}`), &input)

	with, err := prog.Steps[0].(*dsl.ActivityStep).With.Eval(&dsl.Env{Input: input})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.Marshal(with)
	fmt.Println(string(out))
	// Output:
	// {"amount":1250,"currency":"usd","memo":"Order A-1: [\"book\",\"pen\"]"}
}

func ExampleExpr_EvalBool() {
	prog, _ := dsl.Load("t.json", []byte(`{
  "name": "t",
  "steps": [ { "id": "approve", "when": "input.amount > 1000", "activity": "http" } ]
}`))
	when := prog.Steps[0].Info().When
	for _, amount := range []float64{50, 5000} {
		run, _ := when.EvalBool(&dsl.Env{Input: map[string]any{"amount": amount}})
		fmt.Println(amount, run)
	}
	// Output:
	// 50 false
	// 5000 true
}

// Another JSON file of reaflow's, checked against its own schema, reports
// its problems as definitions do.
func ExampleJSONSchema_Check() {
	schema, err := dsl.CompileJSONSchema("file:///example.schema.json", []byte(`{
	  "type": "object", "required": ["name"], "additionalProperties": false,
	  "properties": {"name": {"type": "string"}, "size": {"type": "integer"}}
	}`), nil)
	if err != nil {
		panic(err)
	}
	data := []byte("{\n  \"size\": \"big\",\n  \"colour\": \"red\"\n}")
	l, syntaxErr := dsl.NewLocator("thing.json", data)
	if syntaxErr != nil {
		panic(syntaxErr)
	}
	var value any
	if err := json.Unmarshal(data, &value); err != nil {
		panic(err)
	}
	for _, e := range schema.Check(l, value) {
		fmt.Println(e)
	}
	// Output:
	// thing.json:1:1: missing required property "name"
	// thing.json:2:11: /size: expected integer, got string
	// thing.json:3:3: /colour: unknown property "colour"; allowed: name, size
}
