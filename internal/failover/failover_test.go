package failover_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/failover"
)

func TestSplit(t *testing.T) {
	assert.Equal(t, []string{"http://a:1", "http://b:2/x"}, failover.Split(" http://a:1/ ,, http://b:2/x/"))
	assert.Empty(t, failover.Split(""))
}

// deadAddress is a loopback URL nothing listens on.
func deadAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	return url
}

// echoServer answers with its name, the method, the path and the body.
func echoServer(t *testing.T, name string, hits *atomic.Int32) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		io.WriteString(w, name+" "+r.Method+" "+r.URL.RequestURI()+" "+string(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// droppingServer accepts each request and closes the connection without
// an answer, as a node killed mid-request does.
func droppingServer(t *testing.T, hits *atomic.Int32) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func send(t *testing.T, c *http.Client, method, url, body string) (string, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return string(out), err
}

// A request addressed to a node that is down goes to the next one, body
// and path intact, and later requests go straight to the one that answered.
func TestMovesOnFromAnAddressThatRefuses(t *testing.T) {
	var hits atomic.Int32
	dead, live := deadAddress(t), echoServer(t, "live", &hits)
	c, err := failover.Client([]string{dead, live})
	require.NoError(t, err)

	out, err := send(t, c, http.MethodPost, dead+"/Reaflow/run%2F1/Run/send?delay=1s", `{"a":1}`)
	require.NoError(t, err)
	assert.Equal(t, `live POST /Reaflow/run%2F1/Run/send?delay=1s {"a":1}`, out)
	assert.Equal(t, live, c.Transport.(*failover.Transport).Preferred())

	_, err = send(t, c, http.MethodGet, dead+"/health", "")
	require.NoError(t, err)
	assert.EqualValues(t, 2, hits.Load())
}

// A POST that may have reached a node before it died is not sent to
// another one: it might have been processed. A GET is.
func TestRepeatsOnlyWhatIsSafeToRepeat(t *testing.T) {
	var dropped, answered atomic.Int32
	dropping, live := droppingServer(t, &dropped), echoServer(t, "live", &answered)
	c, err := failover.Client([]string{dropping, live})
	require.NoError(t, err)

	_, err = send(t, c, http.MethodPost, dropping+"/Svc/handler", "x")
	require.Error(t, err)
	assert.Zero(t, answered.Load(), "the POST was not repeated elsewhere")

	out, err := send(t, c, http.MethodGet, dropping+"/restate/workflow/Reaflow/id/attach", "")
	require.NoError(t, err)
	assert.Equal(t, "live GET /restate/workflow/Reaflow/id/attach ", out)

	// A fresh client starts with the dropping node again.
	c, err = failover.Client([]string{dropping, live})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, dropping+"/charges", strings.NewReader("y"))
	require.NoError(t, err)
	req.Header.Set("Idempotency-Key", "k1")
	resp, err := c.Do(req)
	require.NoError(t, err, "a POST with an idempotency key is repeated")
	resp.Body.Close()
}

func TestNamesEveryAddressWhenNoneAnswers(t *testing.T) {
	a, b := deadAddress(t), deadAddress(t)
	c, err := failover.Client([]string{a, b})
	require.NoError(t, err)
	_, err = send(t, c, http.MethodGet, a+"/health", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "none of 2 addresses answered")
	assert.Contains(t, err.Error(), strings.TrimPrefix(b, "http://"))
}

func TestRefusesWhatIsNotAURL(t *testing.T) {
	_, err := failover.Client([]string{"127.0.0.1:8080"})
	require.ErrorContains(t, err, "is not a URL")
	_, err = failover.Client(nil)
	require.ErrorContains(t, err, "no address")
}
