package main

import (
	"context"
	"fmt"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
)

type sandboxCommand struct{ m *Main }

func (*sandboxCommand) Name() string { return "sandbox" }
func (*sandboxCommand) Summary() string {
	return "serve fake payments, shipping, email, travel and webhook providers with a ledger"
}

func (c *sandboxCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("sandbox", "sandbox [--listen ADDR]", `
reaflow sandbox --listen 127.0.0.1:4010
curl -s http://127.0.0.1:4010/sandbox/ledger`)
	listen := fs.String("listen", "127.0.0.1:4010", "address to serve the providers on")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	base, err := sandbox.New().Start(ctx, *listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "sandbox providers on %s (ledger: %s/sandbox/ledger, faults: %s/sandbox/faults)\n", base, base, base)
	fmt.Fprintf(c.m.Stdout, "point the built-in activities at them:\n  export REAFLOW_PAYMENTS_URL=%s/payments REAFLOW_SHIPPING_URL=%s/shipping REAFLOW_EMAIL_URL=%s/email REAFLOW_TRAVEL_URL=%s/travel\n", base, base, base, base)
	<-ctx.Done()
	return nil
}
