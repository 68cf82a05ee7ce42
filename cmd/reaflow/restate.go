package main

import (
	"flag"

	"github.com/reaflow/reaflow/client"
)

// restateFlags are the addresses of the Restate server a command talks to.
// --ingress and --admin each take one URL (a single node or a load
// balancer) or several comma-separated ones (the nodes of a cluster),
// tried in order: a request goes to the address that answered last and
// moves on to the next when that one cannot be reached.
type restateFlags struct {
	ingress string
	admin   string
	token   string

	// c is built once per command, so that every request of the command
	// starts from the address that answered last.
	c *client.Client
}

// addRestateFlags registers --ingress, --admin and --token on fs, with
// environment variables as defaults.
func (m *Main) addRestateFlags(fs *flag.FlagSet) *restateFlags {
	f := &restateFlags{}
	fs.StringVar(&f.ingress, "ingress", m.env("REAFLOW_INGRESS_URL", "http://127.0.0.1:8080"), "Restate ingress URL, or several comma-separated (the nodes of a cluster), tried in order (env REAFLOW_INGRESS_URL)")
	fs.StringVar(&f.admin, "admin", m.env("REAFLOW_ADMIN_URL", "http://127.0.0.1:9070"), "Restate admin URL, or several comma-separated, tried in order (env REAFLOW_ADMIN_URL)")
	fs.StringVar(&f.token, "token", m.Getenv("REAFLOW_TOKEN"), "bearer token for a secured Restate (env REAFLOW_TOKEN)")
	return f
}

// client returns the command's client for the Restate the flags name;
// opts apply when the first call builds it.
func (f *restateFlags) client(opts ...client.Option) (*client.Client, error) {
	if f.c == nil {
		c, err := client.New(f.ingress, f.admin, append([]client.Option{client.WithToken(f.token)}, opts...)...)
		if err != nil {
			return nil, err
		}
		f.c = c
	}
	return f.c, nil
}
