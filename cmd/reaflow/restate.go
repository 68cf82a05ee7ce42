package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/admin"
)

// restateFlags are the addresses of the Restate server a command talks to.
type restateFlags struct {
	ingress string
	admin   string
	token   string
}

// addRestateFlags registers --ingress, --admin and --token on fs, with
// environment variables as defaults.
func (m *Main) addRestateFlags(fs *flag.FlagSet) *restateFlags {
	f := &restateFlags{}
	fs.StringVar(&f.ingress, "ingress", m.env("REAFLOW_INGRESS_URL", "http://127.0.0.1:8080"), "Restate ingress URL (env REAFLOW_INGRESS_URL)")
	fs.StringVar(&f.admin, "admin", m.env("REAFLOW_ADMIN_URL", "http://127.0.0.1:9070"), "Restate admin URL (env REAFLOW_ADMIN_URL)")
	fs.StringVar(&f.token, "token", m.Getenv("REAFLOW_TOKEN"), "bearer token for a secured Restate (env REAFLOW_TOKEN)")
	return f
}

func (f *restateFlags) ingressClient() *ingress.Client {
	var opts []ingress.ClientOption
	if f.token != "" {
		opts = append(opts, ingress.WithAuthKey(f.token))
	}
	return ingress.NewClient(strings.TrimRight(f.ingress, "/"), opts...)
}

// unreachable explains an ingress call that got no answer at all; an error
// answer from Restate (ingress.Error) passes through.
func (f *restateFlags) unreachable(err error) error {
	var answered ingress.Error
	if err == nil || errors.As(err, &answered) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("restate ingress at %s is not reachable (start one with 'reaflow dev', or set --ingress / REAFLOW_INGRESS_URL): %w", f.ingress, err)
}

func (f *restateFlags) adminClient() *admin.Client {
	return admin.New(f.admin, f.token)
}
