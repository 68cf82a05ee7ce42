package interpreter_test

import (
	"fmt"

	"github.com/reaflow/reaflow/activities/builtin"

	"github.com/restatedev/sdk-go/server"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/interpreter"
)

type scoreInput struct {
	Customer string  `json:"customer"`
	Amount   float64 `json:"amount"`
}

type scoreOutput struct {
	Score int `json:"score"`
}

// A program of your own serves reaflow with your activities next to the
// built-ins: register them on a registry, then bind the services New
// returns to a Restate endpoint. Steps name your activity like any other:
// {"id": "score", "activity": "fraudScore", "with": {...}}.
func Example() {
	reg := activities.NewRegistry()
	builtin.Register(reg)
	activities.Register(reg, "fraudScore", func(ctx *activities.Context, in scoreInput) (scoreOutput, error) {
		if in.Customer == "" {
			// Terminal: retrying cannot fix a missing customer.
			return scoreOutput{}, activities.TerminalErrorf("missing_customer", "customer is required")
		}
		ctx.Logger().Info("scoring", "customer", in.Customer, "key", ctx.IdempotencyKey)
		return scoreOutput{Score: int(in.Amount) % 100}, nil
	}, activities.WithDescription("scores an order for fraud"))

	srv := server.NewRestate()
	for _, def := range interpreter.New(reg) {
		srv.Bind(def)
		fmt.Println(def.Name())
	}
	// Then serve, and register the endpoint with Restate's admin API:
	//	srv.Start(ctx, ":9080")
	fmt.Println(reg.Names())
	// Output:
	// Reaflow
	// ReaflowBlock
	// ReaflowDedup
	// ReaflowDefinitions
	// ReaflowLineage
	// ReaflowSchedule
	// ReaflowScheduleWatch
	// [book cancelBooking cancelShipment charge email fraudScore http refund ship]
}

// A production endpoint runs only deployed definitions whose names it
// allows, and takes deployments only with its token, which `reaflow
// deploy` sends in the Reaflow-Deploy-Token header.
func ExampleWithAllowedDefinitions() {
	reg := activities.NewRegistry()
	builtin.Register(reg)
	srv := server.NewRestate()
	for _, def := range interpreter.New(reg,
		interpreter.WithAllowedDefinitions("order-*", "trip-booking"),
		interpreter.WithDeployToken("a token read from a secret file")) {
		srv.Bind(def)
	}
	fmt.Println(interpreter.DeployTokenHeader)
	// Output:
	// Reaflow-Deploy-Token
}
