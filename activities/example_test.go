package activities_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reaflow/reaflow/activities"
)

type GreetInput struct {
	Name string `json:"name"`
}

type GreetOutput struct {
	Greeting string `json:"greeting"`
}

// A custom activity is a typed Go function. The registry decodes the
// step's `with` value into its input type and encodes its output as the
// step's output; a terminal error is not retried.
func Example() {
	reg := activities.NewRegistry()
	activities.Register(reg, "greet", func(ctx *activities.Context, in GreetInput) (GreetOutput, error) {
		if in.Name == "" {
			return GreetOutput{}, activities.TerminalErrorf("name_missing", "whom should I greet?")
		}
		return GreetOutput{Greeting: "Hello, " + in.Name + "!"}, nil
	}, activities.WithDescription("Greet someone by name."))

	// The interpreter builds this context for every step; tests and tools
	// build their own.
	ctx := activities.NewContext(context.Background(), activities.Context{
		IdempotencyKey: "order-1/steps/0",
		WorkflowID:     "order-1",
		StepID:         "greet",
	}, nil)
	out, err := reg.Call(ctx, "greet", json.RawMessage(`{"name": "Ada"}`))
	fmt.Println(string(out), err)

	_, err = reg.Call(ctx, "greet", json.RawMessage(`{}`))
	fmt.Println(activities.IsTerminal(err), activities.ErrorCode(err))
	// Output:
	// {"greeting":"Hello, Ada!"} <nil>
	// true name_missing
}
