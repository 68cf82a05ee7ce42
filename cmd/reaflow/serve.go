package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/reaflow/reaflow/activities/builtin"

	restate "github.com/restatedev/sdk-go"

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
	fs := c.m.newFlagSet("serve", "serve [--listen ADDR] [--register] [--identity-key KEY]... [provider flags]", `
reaflow serve --listen 127.0.0.1:9080 --register --admin http://127.0.0.1:9070
reaflow serve --identity-key publickeyv1_8PLdNyCb9o5zqNWKmDKCSpYkGSqAhWJGA2NH2MxReEJE`)
	target := c.m.addRestateFlags(fs)
	listen := fs.String("listen", c.m.env("REAFLOW_LISTEN", "127.0.0.1:9080"), "address to serve the endpoint on (env REAFLOW_LISTEN)")
	register := fs.Bool("register", false, "register the endpoint with the Restate admin API once it listens")
	force := fs.Bool("force", false, "with --register, replace an endpoint already registered at this address even if its services changed")
	providers := addProviderFlags(fs)
	identityKeys := strings.FieldsFunc(c.m.Getenv("REAFLOW_IDENTITY_KEY"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	fromFlags := false
	fs.Func("identity-key", "accept only requests signed by the Restate server holding this key's private half: \"publickeyv1_...\"; repeat it for several, e.g. while rotating (env REAFLOW_IDENTITY_KEY, comma-separated)", func(key string) error {
		if !fromFlags {
			identityKeys, fromFlags = nil, true // flags replace the environment
		}
		identityKeys = append(identityKeys, key)
		return nil
	})
	window := fs.Duration("redrive-window", interpreter.DefaultRedriveWindow, "how long Restate keeps finished runs and their journals, and so how long a failed run can be redriven; 0 keeps Restate's default of one day")
	logs := c.m.addLogFlags(fs, slog.LevelInfo)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if errs := builtin.CheckAPIKeys(c.m.Getenv); len(errs) > 0 {
		return fmt.Errorf("provider API keys: %w", errors.Join(errs...))
	}
	logger, err := logs.logger(c.m)
	if err != nil {
		return err
	}
	handler, err := endpoint.Handler(logger, identityKeys, services(providers.options(), c.m.Getenv, interpreter.WithRedriveWindow(*window))...)
	if err != nil {
		return fmt.Errorf("--identity-key: %w (a key is \"publickeyv1_\" and a base58 ed25519 public key)", err)
	}
	if len(identityKeys) == 0 {
		fmt.Fprintln(c.m.Stderr, "warning: no --identity-key: the endpoint accepts requests from anyone who can reach it; restrict access to it, or give the public key of the Restate server's request identity")
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
	go func() { errc <- endpoint.ServeHandler(ctx, ln, handler) }()
	if *register {
		cl, err := target.client()
		if err != nil {
			return err
		}
		if err := cl.Register(ctx, url, *force); err != nil {
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

func (f *providerFlags) options() []builtin.Option {
	var opts []builtin.Option
	if f.payments != "" {
		opts = append(opts, builtin.WithPaymentsURL(f.payments))
	}
	if f.shipping != "" {
		opts = append(opts, builtin.WithShippingURL(f.shipping))
	}
	if f.email != "" {
		opts = append(opts, builtin.WithEmailURL(f.email))
	}
	if f.travel != "" {
		opts = append(opts, builtin.WithTravelURL(f.travel))
	}
	return opts
}

// missing lists the providers whose URL neither a flag nor the environment
// sets.
func (f *providerFlags) missing(getenv func(string) string) []string {
	var out []string
	for _, p := range []struct{ flag, value, env string }{
		{"--payments-url", f.payments, builtin.EnvPaymentsURL},
		{"--shipping-url", f.shipping, builtin.EnvShippingURL},
		{"--email-url", f.email, builtin.EnvEmailURL},
		{"--travel-url", f.travel, builtin.EnvTravelURL},
	} {
		if p.value == "" && getenv(p.env) == "" {
			out = append(out, fmt.Sprintf("no %s or %s", p.flag, p.env))
		}
	}
	return out
}

// services are the reaflow services with the built-in activities, their
// API keys read with getenv.
func services(opts []builtin.Option, getenv func(string) string, interpreterOpts ...interpreter.Option) []restate.ServiceDefinition {
	reg := activities.NewRegistry()
	builtin.Register(reg, append(opts, builtin.WithAPIKeysFrom(getenv))...)
	return interpreter.New(reg, interpreterOpts...)
}
