package builtin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/reaflow/reaflow/activities"
)

// CodeHostNotAllowed is the code of the terminal error of an http step
// whose URL, a redirect it follows or an address it dials is refused by
// the endpoint's host policy (see WithHTTPAllowHosts). The request is not
// sent.
const CodeHostNotAllowed = "host_not_allowed"

// HostList is the set of hosts the http activity may call: host names
// ("api.example.com"), wildcards for the names below a domain
// ("*.example.com", which does not match example.com itself), IP
// addresses ("10.1.2.3", "::1") and CIDR prefixes ("10.0.0.0/8"). A name
// entry allows URLs with that host name, whatever it resolves to except a
// link-local address; an address or prefix entry allows URLs that name an
// address in it, and is the only way to allow a link-local one. Ports are
// not part of an entry: every port of an allowed host is allowed.
type HostList struct {
	names    []string
	prefixes []netip.Prefix
}

// ParseHostList parses the entries of a HostList; an entry that is
// neither a host name nor an address nor a prefix is an error.
func ParseHostList(entries ...string) (HostList, error) {
	var list HostList
	for _, entry := range entries {
		entry = strings.TrimSpace(entry)
		if prefix, err := netip.ParsePrefix(entry); err == nil {
			list.prefixes = append(list.prefixes, prefix.Masked())
			continue
		}
		if addr, err := netip.ParseAddr(entry); err == nil {
			list.prefixes = append(list.prefixes, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		name := normalHost(entry)
		if !validHostPattern(name) {
			return HostList{}, fmt.Errorf("%q is not a host name (api.example.com), a wildcard (*.example.com), an IP address or a CIDR prefix (10.0.0.0/8)", entry)
		}
		list.names = append(list.names, name)
	}
	return list, nil
}

// WithHTTPAllowHosts makes the http activity call only the hosts of list,
// following redirects only to them; anything else fails the step with the
// terminal error CodeHostNotAllowed. Without it the http activity may call
// any host but a link-local address (see Register).
func WithHTTPAllowHosts(list HostList) Option {
	return func(c *config) { c.httpHosts = &list }
}

// hostPolicy decides which hosts the http activity may call; allow is nil
// when any host but a link-local one may be called.
type hostPolicy struct{ allow *HostList }

// checkHost refuses a URL's host: one not on the allow list, or a
// link-local address no address entry allows.
func (p hostPolicy) checkHost(u *url.URL) error {
	host := normalHost(u.Hostname())
	addr, err := netip.ParseAddr(host)
	switch {
	case err == nil && p.allowsAddr(addr):
		return nil
	case err == nil && linkLocal(addr.Unmap()):
		return linkLocalRefused(u.Host)
	case p.allow == nil:
		return nil
	case err != nil && slices.ContainsFunc(p.allow.names, func(pattern string) bool { return hostMatches(pattern, host) }):
		return nil
	}
	return refused("host %q is not on the endpoint's list of hosts the http activity may call; add it to reaflow serve --http-allow-hosts (builtin.WithHTTPAllowHosts)", host)
}

// control checks each address the dialer is about to connect to, after
// name resolution, so that a name that resolves to a link-local address is
// refused too, whatever the URL or a redirect said.
func (p hostPolicy) control(_, address string, _ syscall.RawConn) error {
	addrPort, err := netip.ParseAddrPort(address)
	if err != nil {
		return refused("cannot check the address %q before dialling it: %v", address, err)
	}
	if addr := addrPort.Addr(); linkLocal(addr.Unmap()) && !p.allowsAddr(addr) {
		return linkLocalRefused(address)
	}
	return nil
}

// allowsAddr reports whether an address or prefix entry holds addr.
func (p hostPolicy) allowsAddr(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	return p.allow != nil && slices.ContainsFunc(p.allow.prefixes, func(prefix netip.Prefix) bool { return prefix.Contains(addr) })
}

func linkLocalRefused(address string) error {
	return refused("%s is a link-local address, where cloud metadata services answer; the http activity calls one only if reaflow serve --http-allow-hosts (builtin.WithHTTPAllowHosts) names the address or a prefix holding it", address)
}

// client returns the client the http activity sends with: base, with each
// request (the first and every redirect) checked before it is sent and,
// when base's transport is an *http.Transport (the default), each address
// checked before it is dialled, by a dialer of the activity's own.
func (p hostPolicy) client(base *http.Client) *http.Client {
	c := *base
	transport := base.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	if t, ok := transport.(*http.Transport); ok {
		t = t.Clone()
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
		t.DialContext = dialer.DialContext
		// A DialTLSContext would dial past the check.
		t.DialTLSContext = nil
		transport = t
	}
	c.Transport = checkedTransport{base: transport, policy: p}
	return &c
}

// checkedTransport refuses a request whose host the policy refuses. The
// client calls it for every redirect too.
type checkedTransport struct {
	base   http.RoundTripper
	policy hostPolicy
}

func (t checkedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.policy.checkHost(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}

// hostNotAllowed returns the policy's refusal inside err, which the
// client wraps in its own errors, or nil.
func hostNotAllowed(err error) *activities.Error {
	var e *activities.Error
	if errors.As(err, &e) && e.Code == CodeHostNotAllowed {
		return e
	}
	return nil
}

func refused(format string, args ...any) error {
	return &activities.Error{Code: CodeHostNotAllowed, Message: "http: " + fmt.Sprintf(format, args...), Terminal: true}
}

// ec2IPv6Metadata is where EC2's instance metadata service answers over
// IPv6: not link-local, but the same service.
var ec2IPv6Metadata = netip.MustParseAddr("fd00:ec2::254")

// linkLocal reports the addresses refused unless allowed by address:
// 169.254.0.0/16 and fe80::/10 (where cloud metadata services answer, at
// 169.254.169.254), their multicast kin, and EC2's IPv6 metadata address.
func linkLocal(addr netip.Addr) bool {
	return addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() || addr == ec2IPv6Metadata
}

// normalHost lowercases a host name and drops the dot that may end a
// fully qualified one.
func normalHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

func hostMatches(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return pattern == host
}

// validHostPattern accepts a host name of letters, digits, '-', '_' and
// dots, optionally starting with "*.".
func validHostPattern(name string) bool {
	name = strings.TrimPrefix(name, "*.")
	if name == "" || strings.HasPrefix(name, ".") || strings.Contains(name, "..") {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
