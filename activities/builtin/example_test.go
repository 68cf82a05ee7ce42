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

// An endpoint that runs definitions from untrusted callers lets the http
// activity call only the hosts it lists; a call elsewhere, or to the
// cloud metadata address, fails terminally before anything is sent.
func ExampleWithHTTPAllowHosts() {
	hosts, err := builtin.ParseHostList("api.example.com", "*.internal.example")
	if err != nil {
		panic(err)
	}
	reg := activities.NewRegistry()
	builtin.Register(reg, builtin.WithHTTPAllowHosts(hosts))
	ctx := activities.NewContext(context.Background(), activities.Context{IdempotencyKey: "run-1/steps/0"}, nil)

	for _, url := range []string{"http://169.254.169.254/latest/meta-data/", "https://evil.example/steal"} {
		_, err := reg.Call(ctx, "http", json.RawMessage(`{"url": "`+url+`"}`))
		fmt.Println(activities.IsTerminal(err), activities.ErrorCode(err))
	}
	// Output:
	// true host_not_allowed
	// true host_not_allowed
}
