package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/console"
	"github.com/reaflow/reaflow/internal/testkit/devstack"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

// The tests share one local reaflow (restate-server, sandbox providers,
// endpoint with the built-in activities and "item", which echoes its
// input) and talk to the console through HTTP as a browser would.
var (
	stack *devstack.Stack
	cl    *client.Client
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	stack, err = devstack.Start(ctx,
		devstack.WithLogger(slog.New(slog.DiscardHandler)),
		devstack.WithRestateOptions(restatetest.AlwaysReplay()...),
		devstack.WithActivities(func(reg *activities.Registry) {
			activities.Register(reg, "item", func(_ *activities.Context, in map[string]any) (map[string]any, error) {
				return map[string]any{"echo": in}, nil
			})
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.Stop()
	if cl, err = client.New(stack.Restate.IngressURL, stack.Restate.AdminURL); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// browser is a console on an httptest server and a client with a cookie
// jar that sends the headers a browser sends on the console's own pages.
type browser struct {
	t    testing.TB
	srv  *httptest.Server
	http *http.Client
	// origin is what Origin says on POSTs; the console's own by default.
	origin string
}

func newBrowser(t testing.TB, opts ...console.Option) *browser {
	t.Helper()
	h, err := console.New(cl, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, origin: srv.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get returns the status and body of GET path.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.http.Get(b.srv.URL + path)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, string(body)
}

// post sends a form as the page's form would, with the session's CSRF
// token taken from page (unless the form sets csrf itself).
func (b *browser) post(path string, form url.Values) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	resp, err := b.http.Do(req)
	require.NoError(b.t, err)
	b.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

var csrfInput = regexp.MustCompile(`<meta name="csrf-token" content="([0-9a-f]+)">`)

// csrf is the CSRF token on the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfInput.FindStringSubmatch(body)
	require.NotNil(b.t, m, "no CSRF token on %s:\n%s", path, body)
	return m[1]
}

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// submit starts a run of the workflow file (from workflows/) or
// definition text.
func submit(t testing.TB, definition, id, input string) {
	t.Helper()
	text := []byte(definition)
	file := "test.json"
	if strings.HasSuffix(definition, ".json") {
		var err error
		text, err = os.ReadFile(filepath.Join("..", "..", "workflows", definition))
		require.NoError(t, err)
		file = definition
	}
	_, err := cl.Submit(t.Context(), client.SubmitRequest{Definition: text, File: file, ID: id, Input: []byte(input)})
	require.NoError(t, err)
}

// waitState waits for the run to be in state.
func waitState(t testing.TB, id string, state client.State) *client.Run {
	t.Helper()
	var run *client.Run
	require.Eventually(t, func() bool {
		var err error
		run, err = cl.Status(t.Context(), id)
		return err == nil && run.State == state
	}, 60*time.Second, 100*time.Millisecond, "run %s never got %s (last: %+v)", id, state, run)
	return run
}

func uniqueID(t testing.TB) string {
	return fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

// Inputs of workflows/order-approval.json: above the approval limit it
// waits for a signal; a declined customer fails at charge.
func approvalInput(customer string, amount int) string {
	return fmt.Sprintf(`{"orderId": "o-%d", "customerId": %q, "amount": %d, "address": "1 Loop Road", "email": "ada@example.com", "lines": ["desk", "chair"]}`, time.Now().UnixNano(), customer, amount)
}
