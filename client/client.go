package client

import (
	"context"
	"errors"
	"net/http"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/failover"
	"github.com/reaflow/reaflow/interpreter"
)

// Client talks to one Restate, a single node or the nodes of a cluster,
// about reaflow runs: through its ingress (starting runs, signals,
// callbacks, outputs, deployed definitions) and its admin API (status,
// listings, cancellation). A Client is safe for concurrent use.
type Client struct {
	cfg config
	// ingressList is the ingress addresses as given, for messages;
	// ingressBase the first, to which requests are addressed.
	ingressList, ingressBase string
	ingressHTTP              *http.Client
	ingress                  *ingress.Client
	admin                    *admin.Client
}

type config struct {
	http        *http.Client
	token       string
	deployToken string
	timeout     time.Duration
	rideOut     time.Duration
}

// Option configures a Client.
type Option func(*config)

// WithHTTPClient sends every request through c (its transport, cookies,
// redirect policy). With several addresses the client's transport is
// wrapped, so that a request moves on to the next address. c's own
// Timeout would also cut Attach short: leave it zero and use WithTimeout.
func WithHTTPClient(c *http.Client) Option { return func(cfg *config) { cfg.http = c } }

// WithToken sends token as a bearer token with every request, for a
// Restate whose ingress and admin API require one.
func WithToken(token string) Option { return func(cfg *config) { cfg.token = token } }

// WithDeployToken sends token in the Reaflow-Deploy-Token header of
// Deploy requests, for endpoints that accept deployments only with it.
func WithDeployToken(token string) Option { return func(cfg *config) { cfg.deployToken = token } }

// WithTimeout bounds each request that does not wait for a run to end
// (all but Attach and Watch); 30s by default. Zero means no bound.
func WithTimeout(d time.Duration) Option { return func(cfg *config) { cfg.timeout = d } }

// WithFailoverWait sets how long Submit keeps sending a run while Restate
// is unavailable, as it is while a cluster replaces a failed node: long
// enough for a failover (seconds), short enough that a stopped server is
// reported. 2 minutes by default.
func WithFailoverWait(d time.Duration) Option { return func(cfg *config) { cfg.rideOut = d } }

// DeployTokenHeader is the request header that carries the deploy token,
// the one the endpoint's Deploy handler reads.
const DeployTokenHeader = interpreter.DeployTokenHeader

// withDeployToken appends to opts (request or send options) the header
// that carries the deploy token, when the client has one: deploys,
// schedule changes and redrives send it.
func withDeployToken[O any](c *Client, opts []O) []O {
	if c.cfg.deployToken == "" {
		return opts
	}
	// restate.WithHeaders is both a request and a send option.
	return append(opts, any(restate.WithHeaders(map[string]string{DeployTokenHeader: c.cfg.deployToken})).(O))
}

// New returns a client for the Restate whose ingress and admin API answer
// at the given base URLs. Each is one URL (a single node, or a load
// balancer) or several comma-separated ones (the nodes of a cluster),
// tried in order: a request goes to the address that answered last and
// moves on to the next only when it cannot have been processed there.
func New(ingressURLs, adminURLs string, opts ...Option) (*Client, error) {
	cfg := config{timeout: 30 * time.Second, rideOut: failover.RideOut}
	for _, opt := range opts {
		opt(&cfg)
	}
	ingressHTTP, ingressBase, err := httpClient(cfg.http, ingressURLs, 0)
	if err != nil {
		return nil, err
	}
	adminHTTP, adminBase, err := httpClient(cfg.http, adminURLs, cfg.timeout)
	if err != nil {
		return nil, err
	}
	ingressOpts := []ingress.ClientOption{ingress.WithHttpClient(ingressHTTP)}
	if cfg.token != "" {
		ingressOpts = append(ingressOpts, ingress.WithAuthKey(cfg.token))
	}
	a := admin.New(adminBase, cfg.token)
	a.HTTP = adminHTTP
	return &Client{
		cfg:         cfg,
		ingressList: ingressURLs,
		ingressBase: ingressBase,
		ingressHTTP: ingressHTTP,
		ingress:     ingress.NewClient(ingressBase, ingressOpts...),
		admin:       a,
	}, nil
}

// httpClient returns an HTTP client that sends requests addressed to the
// first of the comma-separated URLs in list to whichever of them answers,
// and that first URL.
func httpClient(base *http.Client, list string, timeout time.Duration) (*http.Client, string, error) {
	urls := failover.Split(list)
	var next http.RoundTripper
	c := &http.Client{Timeout: timeout}
	if base != nil {
		next, c = base.Transport, new(http.Client)
		*c = *base
		if c.Timeout == 0 {
			c.Timeout = timeout
		}
	}
	t, err := failover.NewTransport(urls, next)
	if err != nil {
		return nil, "", err
	}
	c.Transport = t
	return c, urls[0], nil
}

// bounded applies the client's timeout to a request.
func (c *Client) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.cfg.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.cfg.timeout)
}

// unreachable explains an ingress call that got no answer at all; an
// error answer from Restate (ingress.Error) passes through.
func (c *Client) unreachable(err error) error {
	var answered ingress.Error
	if err == nil || errors.As(err, &answered) || errors.Is(err, context.Canceled) {
		return err
	}
	return &admin.UnreachableError{API: "ingress", URL: c.ingressList, Err: err}
}
