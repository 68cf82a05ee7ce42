package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/failover"
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

	// The clients are built once per command, so that every request of
	// the command starts from the address that answered last.
	ingressHTTP, adminHTTP *http.Client
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

// ingressURL is where requests to the ingress are addressed: the first
// of its URLs, which the client's transport moves to another when needed.
func (f *restateFlags) ingressURL() string { return firstURL(f.ingress) }

// ingressHTTPClient returns the HTTP client for requests to ingressURL.
func (f *restateFlags) ingressHTTPClient() *http.Client {
	if f.ingressHTTP == nil {
		f.ingressHTTP = httpClient(f.ingress, 0)
	}
	return f.ingressHTTP
}

func (f *restateFlags) ingressClient() *ingress.Client {
	opts := []ingress.ClientOption{ingress.WithHttpClient(f.ingressHTTPClient())}
	if f.token != "" {
		opts = append(opts, ingress.WithAuthKey(f.token))
	}
	return ingress.NewClient(f.ingressURL(), opts...)
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
	c := admin.New(firstURL(f.admin), f.token)
	if f.adminHTTP == nil {
		f.adminHTTP = httpClient(f.admin, c.HTTP.Timeout)
	}
	c.HTTP = f.adminHTTP
	return c
}

// httpClient returns a client that sends to the first of the
// comma-separated URLs in list, or to the next ones when it is down.
func httpClient(list string, timeout time.Duration) *http.Client {
	urls := failover.Split(list)
	if len(urls) < 2 {
		return &http.Client{Timeout: timeout}
	}
	c, err := failover.Client(urls)
	if err != nil {
		return &http.Client{Transport: failedTransport{err}}
	}
	c.Timeout = timeout
	return c
}

// failedTransport fails every request with the reason the addresses are
// unusable, so the command reports it where it would have sent one.
type failedTransport struct{ err error }

func (t failedTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, t.err }

func firstURL(list string) string {
	if urls := failover.Split(list); len(urls) > 0 {
		return urls[0]
	}
	return strings.TrimRight(list, "/")
}
