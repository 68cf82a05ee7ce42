package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/internal/endpoint"
	"github.com/reaflow/reaflow/interpreter"
)

type serveCommand struct{ m *Main }

func (*serveCommand) Name() string { return "serve" }
func (*serveCommand) Summary() string {
	return "run the reaflow service endpoint with the built-in activities"
}

func (c *serveCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("serve", "serve [--listen ADDR] [--register] [provider flags]", `
reaflow serve --listen 127.0.0.1:9080 --register --admin http://127.0.0.1:9070`)
	target := c.m.addRestateFlags(fs)
	listen := fs.String("listen", c.m.env("REAFLOW_LISTEN", "127.0.0.1:9080"), "address to serve the endpoint on (env REAFLOW_LISTEN)")
	register := fs.Bool("register", false, "register the endpoint with the Restate admin API once it listens")
	force := fs.Bool("force", false, "with --register, replace an endpoint already registered at this address even if its services changed")
	providers := addProviderFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	for _, missing := range providers.missing(c.m.Getenv) {
		fmt.Fprintf(c.m.Stderr, "warning: %s; steps calling it wait until the endpoint runs with it set\n", missing)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	errc := make(chan error, 1)
	go func() { errc <- serveEndpoint(ctx, ln, providers.options()...) }()
	if *register {
		if err := target.adminClient().RegisterDeployment(ctx, url, *force); err != nil {
			return fmt.Errorf("register %s: %w", url, err)
		}
	}
	fmt.Fprintf(c.m.Stdout, "reaflow endpoint listening on %s\n", url)
	return <-errc
}

// providerFlags set the base URLs of the providers the built-in activities
// call; empty flags leave the environment defaults of the activities package.
type providerFlags struct{ payments, shipping, email, travel string }

func addProviderFlags(fs interface {
	StringVar(*string, string, string, string)
}) *providerFlags {
	f := &providerFlags{}
	fs.StringVar(&f.payments, "payments-url", "", "payments provider base URL (default env REAFLOW_PAYMENTS_URL)")
	fs.StringVar(&f.shipping, "shipping-url", "", "shipping provider base URL (default env REAFLOW_SHIPPING_URL)")
	fs.StringVar(&f.email, "email-url", "", "email provider base URL (default env REAFLOW_EMAIL_URL)")
	fs.StringVar(&f.travel, "travel-url", "", "travel provider base URL (default env REAFLOW_TRAVEL_URL)")
	return f
}

func (f *providerFlags) options() []activities.BuiltinOption {
	var opts []activities.BuiltinOption
	if f.payments != "" {
		opts = append(opts, activities.WithPaymentsURL(f.payments))
	}
	if f.shipping != "" {
		opts = append(opts, activities.WithShippingURL(f.shipping))
	}
	if f.email != "" {
		opts = append(opts, activities.WithEmailURL(f.email))
	}
	if f.travel != "" {
		opts = append(opts, activities.WithTravelURL(f.travel))
	}
	return opts
}

// missing lists the providers whose URL neither a flag nor the environment
// sets.
func (f *providerFlags) missing(getenv func(string) string) []string {
	var out []string
	for _, p := range []struct{ flag, value, env string }{
		{"--payments-url", f.payments, activities.EnvPaymentsURL},
		{"--shipping-url", f.shipping, activities.EnvShippingURL},
		{"--email-url", f.email, activities.EnvEmailURL},
		{"--travel-url", f.travel, activities.EnvTravelURL},
	} {
		if p.value == "" && getenv(p.env) == "" {
			out = append(out, fmt.Sprintf("no %s or %s", p.flag, p.env))
		}
	}
	return out
}

// serveEndpoint serves the reaflow services with the built-in activities on
// ln until ctx ends.
func serveEndpoint(ctx context.Context, ln net.Listener, opts ...activities.BuiltinOption) error {
	reg := activities.NewRegistry()
	activities.RegisterBuiltins(reg, opts...)
	return endpoint.Serve(ctx, ln, slog.Default(), interpreter.New(reg)...)
}
