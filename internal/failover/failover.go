// Package failover sends HTTP requests to whichever of several equivalent
// addresses answers: the nodes of a Restate cluster, whose ingresses (and
// admin APIs) all serve the same services and data. A request goes to the
// address that answered last and moves on to the next one only when it
// could not have been processed, so a client keeps working while a node
// is down without sending anything twice that should not be.
package failover

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
)

// Split parses a comma-separated list of base URLs, as the CLI's --ingress
// and --admin flags take it; blanks and trailing slashes are dropped.
func Split(list string) []string {
	var urls []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			urls = append(urls, u)
		}
	}
	return urls
}

// Transport is an http.RoundTripper over several base URLs. Requests are
// addressed to the first base URL (as a client built for one address
// would send them); the transport sends each to the base URL that answered
// last, and on to the next ones when that one cannot be reached.
//
// It moves on after errors that prove the request was not processed: the
// connection was refused or could not be made. A request that may have
// reached a node that then died (a reset, an EOF) moves on only if it is
// safe to repeat: a GET or HEAD, or a request with an Idempotency-Key
// header. Anything else gets the error, for the caller to decide (a
// workflow submission, say, can be sent again under the same workflow id).
type Transport struct {
	bases []*url.URL
	next  http.RoundTripper
	// preferred is the index of the base URL that answered last.
	preferred atomic.Int32
}

// NewTransport returns a Transport over baseURLs, sending through next
// (http.DefaultTransport when nil).
func NewTransport(baseURLs []string, next http.RoundTripper) (*Transport, error) {
	if len(baseURLs) == 0 {
		return nil, errors.New("no address given: name at least one URL, such as http://127.0.0.1:8080")
	}
	if next == nil {
		next = http.DefaultTransport
	}
	t := &Transport{next: next}
	for _, raw := range baseURLs {
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("address %q is not a URL such as http://127.0.0.1:8080", raw)
		}
		t.bases = append(t.bases, u)
	}
	return t, nil
}

// Client returns an http.Client over baseURLs (see Transport).
func Client(baseURLs []string) (*http.Client, error) {
	t, err := NewTransport(baseURLs, nil)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

// Preferred returns the base URL that answered last, the one the next
// request tries first.
func (t *Transport) Preferred() string { return t.bases[t.preferred.Load()].String() }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	suffix, ok := t.relative(req.URL)
	if !ok || len(t.bases) == 1 {
		return t.next.RoundTrip(req)
	}
	start := int(t.preferred.Load())
	var errs []error
	for k := range t.bases {
		i := (start + k) % len(t.bases)
		attempt, err := t.rebase(req, i, suffix, k > 0)
		if err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(attempt)
		if err == nil {
			t.preferred.Store(int32(i))
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", t.bases[i].Host, err))
		if req.Context().Err() != nil || !(notSent(err) || repeatable(req)) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("none of %d addresses answered: %w", len(t.bases), errors.Join(errs...))
}

// relative returns the part of u after the base URL it is addressed to
// (any of them, so a URL built from a later base also works), escaped as
// it came.
func (t *Transport) relative(u *url.URL) (string, bool) {
	for _, b := range t.bases {
		if u.Scheme != b.Scheme || u.Host != b.Host || !strings.HasPrefix(u.EscapedPath(), b.EscapedPath()) {
			continue
		}
		rel := strings.TrimPrefix(u.EscapedPath(), b.EscapedPath())
		if u.RawQuery != "" {
			rel += "?" + u.RawQuery
		}
		return rel, true
	}
	return "", false
}

// rebase copies req to base URL i. A retry needs a fresh body, which
// requests built from bytes (as every client here builds them) provide.
func (t *Transport) rebase(req *http.Request, i int, suffix string, retry bool) (*http.Request, error) {
	u, err := url.Parse(t.bases[i].String() + suffix)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.URL, out.Host = u, ""
	if retry && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errors.New("cannot send the request to another address: its body cannot be read twice")
		}
		if out.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// notSent tells whether err shows the request never left: no connection
// could be made.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// repeatable tells whether sending req twice does no harm.
func repeatable(req *http.Request) bool {
	return req.Method == http.MethodGet || req.Method == http.MethodHead || req.Header.Get("Idempotency-Key") != ""
}
