package builtin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
)

// countingServer answers 200, or redirects to the query's "to", and
// counts the requests it gets.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestHTTPActivityHostPolicy(t *testing.T) {
	srv, calls := countingServer(t)
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	localhostOnly, err := ParseHostList("LOCALHOST.")
	require.NoError(t, err)
	metadata, err := ParseHostList("169.254.169.254")
	require.NoError(t, err)

	tests := []struct {
		name    string
		opts    []Option
		url     string
		refused bool
		calls   int32 // requests the server sees
	}{
		{"any host by default", nil, srv.URL, false, 1},
		{"metadata address", nil, "http://169.254.169.254/latest/meta-data/", true, 0},
		{"anywhere in 169.254.0.0/16", nil, "http://169.254.10.20:8080/", true, 0},
		{"an IPv6 link-local address", nil, "http://[fe80::1%25lo]/", true, 0},
		{"an IPv4-mapped metadata address", nil, "http://[::ffff:169.254.169.254]/", true, 0},
		{"EC2's IPv6 metadata address", nil, "http://[fd00:ec2::254]/", true, 0},
		{"a redirect to the metadata address", nil, srv.URL + "/?to=http://169.254.169.254/latest/", true, 1},
		{"a listed name", []Option{WithHTTPAllowHosts(localhostOnly)}, byName, false, 1},
		{"an address not listed", []Option{WithHTTPAllowHosts(localhostOnly)}, srv.URL, true, 0},
		{"a redirect off the list", []Option{WithHTTPAllowHosts(localhostOnly)}, byName + "/?to=" + srv.URL, true, 1},
		{"a name not listed", []Option{WithHTTPAllowHosts(metadata)}, byName, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			reg := activities.NewRegistry()
			Register(reg, tt.opts...)
			_, err := reg.Call(stepContext(t, "k"), "http", json.RawMessage(`{"url": "`+tt.url+`"}`))
			if tt.refused {
				require.Error(t, err)
				assert.True(t, activities.IsTerminal(err), "%v", err)
				assert.Equal(t, CodeHostNotAllowed, activities.ErrorCode(err), "%v", err)
				assert.Contains(t, err.Error(), "--http-allow-hosts", "the error says what to change")
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.calls, calls.Load(), "requests the server saw")
		})
	}
}

// The dialer checks the address it connects to, after name resolution, so
// a name or redirect that leads to a link-local address is refused at the
// dial even when every URL looked allowed.
func TestHTTPActivityChecksTheDialledAddress(t *testing.T) {
	metadata, err := ParseHostList("169.254.0.0/16")
	require.NoError(t, err)
	for _, address := range []string{"169.254.169.254:80", "[fe80::1%lo]:443", "[::ffff:169.254.169.254]:80"} {
		err := hostPolicy{}.control("tcp", address, nil)
		assert.Equal(t, CodeHostNotAllowed, activities.ErrorCode(err), address)
	}
	assert.NoError(t, hostPolicy{}.control("tcp", "127.0.0.1:80", nil))
	assert.NoError(t, hostPolicy{allow: &metadata}.control("tcp", "169.254.169.254:80", nil), "allowed by prefix")

	// The http activity's transport dials through that check.
	transport := hostPolicy{}.client(&http.Client{}).Transport.(checkedTransport).base.(*http.Transport)
	_, err = transport.DialContext(t.Context(), "tcp", "169.254.169.254:80")
	assert.NotNil(t, hostNotAllowed(err), "%v", err)
}

func TestParseHostList(t *testing.T) {
	list, err := ParseHostList("api.example.com", "*.Internal.example", "10.0.0.0/8", "::1", " 192.168.1.1 ")
	require.NoError(t, err)
	assert.Equal(t, []string{"api.example.com", "*.internal.example"}, list.names)
	assert.Len(t, list.prefixes, 3)
	p := hostPolicy{allow: &list}
	for host, allowed := range map[string]bool{
		"api.example.com": true, "API.example.com.": true, "a.internal.example": true, "b.a.internal.example": true,
		"internal.example": false, "example.com": false, "10.2.3.4": true, "[::1]": true, "192.168.1.1": true, "192.168.1.2": false,
	} {
		u, err := url.Parse("http://" + host + "/")
		require.NoError(t, err)
		assert.Equal(t, allowed, p.checkHost(u) == nil, host)
	}
	for _, bad := range []string{"", "https://api.example.com", "10.0.0.0/33", "a..b", "*.", "host name"} {
		_, err := ParseHostList(bad)
		assert.Error(t, err, "%q", bad)
	}
}
