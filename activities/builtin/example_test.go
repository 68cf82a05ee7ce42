package builtin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/activities/builtin"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
)

// The built-ins call provider APIs; here they call the sandbox providers
// that reaflow's own tests use.
func ExampleRegister() {
	srv := httptest.NewServer(sandbox.New())
	defer srv.Close()

	reg := activities.NewRegistry()
	builtin.Register(reg, builtin.WithProviderURL(srv.URL))
	ctx := activities.NewContext(context.Background(), activities.Context{IdempotencyKey: "order-1/steps/0"}, nil)

	out, err := reg.Call(ctx, "charge", json.RawMessage(`{"amount": 42.5, "customer": "cus_1"}`))
	fmt.Println(string(out), err)

	ctx.IdempotencyKey = "order-2/steps/0"
	_, err = reg.Call(ctx, "charge", json.RawMessage(`{"amount": 42.5, "customer": "cus_declined"}`))
	fmt.Println(activities.IsTerminal(err), activities.ErrorCode(err))
	// Output:
	// {"id":"ch_000001","amount":42.5,"currency":"usd","customer":"cus_1","status":"succeeded"} <nil>
	// true card_declined
}
