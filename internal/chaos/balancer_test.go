package chaos

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/sandbox"
)

func backend(t *testing.T, name string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }))
	t.Cleanup(srv.Close)
	return srv
}

// get asks through a new connection each time, as a new stream from
// Restate after a crash would.
func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

func TestBalancerSpreadsAndSkipsADeadBackend(t *testing.T) {
	a, b := backend(t, "a"), backend(t, "b")
	bal, err := newBalancer([]string{a.Listener.Addr().String(), b.Listener.Addr().String()})
	require.NoError(t, err)
	defer bal.Close()

	var got []string
	for range 4 {
		got = append(got, get(t, bal.URL()))
	}
	assert.ElementsMatch(t, []string{"a", "a", "b", "b"}, got, "round robin")

	b.Close()
	for range 3 {
		assert.Equal(t, "a", get(t, bal.URL()), "a refused backend is skipped")
	}
	assert.Equal(t, []int{5, 2}, bal.Accepted())
}

func TestBalancerClosesClientsWhenEveryBackendIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close()
	bal, err := newBalancer([]string{dead})
	require.NoError(t, err)
	defer bal.Close()
	_, err = (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(bal.URL())
	assert.Error(t, err, "the caller sees a broken connection and retries")
}

// The recorder tells replays and injected faults apart from ordinary
// answers.
func TestRecorderCountsReplaysAndFaults(t *testing.T) {
	sb := sandbox.New(sandbox.WithFaults(sandbox.FaultRule{Path: "/email/messages", Times: 1, AfterEffect: true, Status: 503}))
	rec := newRecorder(sb)
	srv := httptest.NewServer(rec)
	defer srv.Close()
	send := func() int {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/email/messages", strings.NewReader(`{"to":"a@example.com","subject":"s","body":"b"}`))
		require.NoError(t, err)
		req.Header.Set("Idempotency-Key", "k1")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 503, send(), "effect applied, answer lost")
	assert.Equal(t, 200, send(), "replayed")
	assert.Equal(t, 200, send(), "replayed")
	got := rec.snapshot()
	assert.Equal(t, map[string]int{"k1": 2}, got.Replays)
	assert.Equal(t, map[int]int{503: 1}, got.Faults)
	assert.Equal(t, 3, got.Answered)
	assert.Len(t, sb.Ledger().Effects, 1)
}
