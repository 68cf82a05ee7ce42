package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path"
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
	fs := c.m.newFlagSet("serve", "serve [--listen ADDR] [--register] [--identity-key KEY]... [run policy flags] [provider flags]", `
reaflow serve --listen 127.0.0.1:9080 --register --admin http://127.0.0.1:9070
reaflow serve --identity-key publickeyv1_8PLdNyCb9o5zqNWKmDKCSpYkGSqAhWJGA2NH2MxReEJE
reaflow serve --deployed-only --allow-definitions 'order-*,trip-booking' --deploy-token-file /run/secrets/deploy-token --http-allow-hosts 'api.example.com,*.internal.example'`)
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
	policy := c.m.addPolicyFlags(fs)
	window := fs.Duration("redrive-window", interpreter.DefaultRedriveWindow, "how long Restate keeps finished runs and their journals, and so how long a failed run can be redriven; 0 keeps Restate's default of one day")
	logs := c.m.addLogFlags(fs, slog.LevelInfo)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	runOpts, builtinOpts, err := policy.options()
	if err != nil {
		return err
	}
	if errs := builtin.CheckAPIKeys(c.m.Getenv); len(errs) > 0 {
		return fmt.Errorf("provider API keys: %w", errors.Join(errs...))
	}
	logger, err := logs.logger(c.m)
	if err != nil {
		return err
	}
	handler, err := endpoint.Handler(logger, identityKeys, services(append(providers.options(), builtinOpts...), c.m.Getenv, append(runOpts, interpreter.WithRedriveWindow(*window))...)...)
	if err != nil {
		return fmt.Errorf("--identity-key: %w (a key is \"publickeyv1_\" and a base58 ed25519 public key)", err)
	}
	if len(identityKeys) == 0 {
		fmt.Fprintln(c.m.Stderr, "warning: no --identity-key: the endpoint accepts requests from anyone who can reach it; restrict access to it, or give the public key of the Restate server's request identity")
	}
	for _, warning := range policy.warnings() {
		fmt.Fprintln(c.m.Stderr, "warning: "+warning)
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

// policyFlags say what callers of Restate's ingress may run and deploy on
// the endpoint, and which hosts the http activity may call.
type policyFlags struct {
	deployedOnly     bool
	allowDefinitions []string
	deployTokenFile  string
	httpAllowHosts   []string
}

func (m *Main) addPolicyFlags(fs *flag.FlagSet) *policyFlags {
	f := &policyFlags{}
	fs.BoolVar(&f.deployedOnly, "deployed-only", false, "run only deployed definitions (reaflow deploy); a run of any other definition is refused with 403 before a step runs")
	fs.Func("allow-definitions", "run only deployed definitions whose name matches one of these comma-separated patterns (path.Match: 'order-*'); repeatable; implies --deployed-only", func(v string) error {
		for _, pattern := range splitList(v) {
			if _, err := path.Match(pattern, ""); err != nil {
				return fmt.Errorf("%q: %v; a pattern is a name with * and ? wildcards, such as order-*", pattern, err)
			}
			f.allowDefinitions = append(f.allowDefinitions, pattern)
		}
		return nil
	})
	fs.StringVar(&f.deployTokenFile, "deploy-token-file", m.Getenv("REAFLOW_DEPLOY_TOKEN_FILE"), "file holding the token reaflow deploy must send (in the "+interpreter.DeployTokenHeader+" header); without one, anyone who can call the ingress can deploy (env REAFLOW_DEPLOY_TOKEN_FILE)")
	fs.Func("http-allow-hosts", "the hosts the http activity may call, comma-separated: names, *.domain wildcards, IP addresses, CIDR prefixes; repeatable. Without it, any host but link-local addresses (cloud metadata), which only an address entry allows", func(v string) error {
		f.httpAllowHosts = append(f.httpAllowHosts, splitList(v)...)
		_, err := builtin.ParseHostList(f.httpAllowHosts...)
		return err
	})
	return f
}

// options turns the flags into the options of the services.
func (f *policyFlags) options() ([]interpreter.Option, []builtin.Option, error) {
	var runOpts []interpreter.Option
	var builtinOpts []builtin.Option
	if f.deployedOnly {
		runOpts = append(runOpts, interpreter.WithDeployedOnly())
	}
	if len(f.allowDefinitions) > 0 {
		runOpts = append(runOpts, interpreter.WithAllowedDefinitions(f.allowDefinitions...))
	}
	if f.deployTokenFile != "" {
		token, err := readTokenFile("--deploy-token-file", f.deployTokenFile)
		if err != nil {
			return nil, nil, err
		}
		runOpts = append(runOpts, interpreter.WithDeployToken(token))
	}
	if len(f.httpAllowHosts) > 0 {
		hosts, err := builtin.ParseHostList(f.httpAllowHosts...)
		if err != nil {
			return nil, nil, err
		}
		builtinOpts = append(builtinOpts, builtin.WithHTTPAllowHosts(hosts))
	}
	return runOpts, builtinOpts, nil
}

// warnings name what the flags leave open.
func (f *policyFlags) warnings() []string {
	deployedOnly := f.deployedOnly || len(f.allowDefinitions) > 0
	var out []string
	if deployedOnly && f.deployTokenFile == "" {
		out = append(out, "no --deploy-token-file: anyone who can call the Restate ingress can deploy a definition, and so run it; give a deploy token, or keep the ingress from untrusted callers")
	}
	if !deployedOnly && len(f.httpAllowHosts) == 0 {
		out = append(out, "the endpoint runs any definition a caller of the Restate ingress sends, and its http activity may call any host it can reach but link-local addresses; pass --deployed-only (with --deploy-token-file) or --http-allow-hosts")
	}
	return out
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}
