package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/console"
)

// stepBox matches a step's box in the graph and captures its classes.
func stepBox(id string) *regexp.Regexp {
	return regexp.MustCompile(`<div class="step ([^"]*)" id="step-` + regexp.QuoteMeta(id) + `"`)
}

func boxClasses(t *testing.T, page, id string) string {
	t.Helper()
	m := stepBox(id).FindStringSubmatch(page)
	require.NotNil(t, m, "no box for step %s in:\n%s", id, page)
	return m[1]
}

// The runs table lists runs with their state, current step and what they
// wait for, and its filters narrow it.
func TestRunsPage(t *testing.T) {
	b := newBrowser(t)
	prefix := uniqueID(t)
	waiting, failed := prefix+"-waiting", prefix+"-failed"
	submit(t, "order-approval.json", waiting, approvalInput("cus_ada", 5000))
	submit(t, "order-approval.json", failed, approvalInput("cus_declined_1", 10))
	waitState(t, waiting, client.Waiting)
	waitState(t, failed, client.Failed)

	status, page := b.get("/runs?id=" + url.QueryEscape(prefix))
	require.Equal(t, http.StatusOK, status, page)
	for _, want := range []string{
		`href="/runs/` + waiting + `"`, `href="/runs/` + failed + `"`,
		`<span class="chip state-waiting">waiting</span>`, `<span class="chip state-failed">failed</span>`,
		"<td>approval</td>", "<td>signal approve</td>", "<td>charge</td>",
		`href="/definitions/order-approval"`, "1.0.0",
	} {
		assert.Contains(t, page, want)
	}

	_, page = b.get("/runs?state=failed&id=" + url.QueryEscape(prefix))
	assert.Contains(t, page, failed)
	assert.NotContains(t, page, waiting)
	_, page = b.get("/runs?definition=order-approval&state=running&id=" + url.QueryEscape(prefix))
	assert.Contains(t, page, waiting)
	assert.NotContains(t, page, failed)
	_, page = b.get("/runs?id=" + url.QueryEscape(prefix) + "&after=2999-01-01T00:00")
	assert.Contains(t, page, "No runs match.")
	status, page = b.get("/runs?after=yesterday")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, page, "the time range is not a date and time")

	// The live refresh asks for the table alone.
	_, partial := b.get("/runs?partial=1&id=" + url.QueryEscape(prefix))
	assert.True(t, strings.HasPrefix(strings.TrimSpace(partial), `<section id="runs" data-live>`), partial)
	assert.NotContains(t, partial, "<form")
}

// The runs table pages with the client's token, newest first.
func TestRunsPaging(t *testing.T) {
	b := newBrowser(t)
	prefix := uniqueID(t)
	const hello = `{"name": "paged", "steps": [{"id": "s", "set": {"x": 1}}]}`
	for i := range 27 {
		submit(t, hello, fmt.Sprintf("%s-%02d", prefix, i), `{}`)
	}
	for i := range 27 {
		waitState(t, fmt.Sprintf("%s-%02d", prefix, i), client.Done)
	}
	_, page := b.get("/runs?id=" + url.QueryEscape(prefix))
	assert.Contains(t, page, "25 runs on this page")
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(page)
	require.NotNil(t, next, page)
	_, page2 := b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	assert.Contains(t, page2, "2 runs on this page")
	assert.Contains(t, page2, "first page")
	assert.Contains(t, page2, prefix+"-00")
	assert.NotContains(t, page, `href="/runs/`+prefix+`-00"`)
}

// The run page draws the definition as nested boxes coloured by state,
// shows the selected step and offers the signal the run waits for, with
// a form made from the await's schema; the signal is checked against it
// before it is sent.
func TestRunPageAndSignal(t *testing.T) {
	b := newBrowser(t)
	id := uniqueID(t)
	submit(t, "order-approval.json", id, approvalInput("cus_ada", 5000))
	waitState(t, id, client.Waiting)

	status, page := b.get("/runs/" + id)
	require.Equal(t, http.StatusOK, status, page)
	assert.Contains(t, boxClasses(t, page, "review"), "state-waiting")
	assert.Contains(t, boxClasses(t, page, "approval"), "state-waiting")
	assert.Contains(t, boxClasses(t, page, "charge"), "state-pending")
	assert.Contains(t, boxClasses(t, page, "ship"), "in-loop")
	assert.Contains(t, page, `branch parcels`)
	assert.Contains(t, page, `branch receipt`)
	assert.Contains(t, page, `case 1: input.amount &gt; (input.approvalLimit ?? 1000)`)
	assert.Contains(t, page, `name="field.approved"`)
	assert.Contains(t, page, `name="field.by"`)
	assert.Contains(t, page, `&#34;customerId&#34;: &#34;cus_ada&#34;`, "the run's input")
	assert.Contains(t, page, "Cancel run")

	// A payload the await's schema refuses is not sent.
	csrf := b.csrf("/runs/" + id)
	resp := b.post("/runs/"+id+"/signal", url.Values{"csrf": {csrf}, "name": {"approve"}, "field.approved": {"true"}})
	refused := body(t, resp)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, refused, `reaflow signal: signal &#34;approve&#34; not delivered to run `+id)
	assert.Contains(t, refused, "by")
	assert.Equal(t, client.Waiting, waitState(t, id, client.Waiting).State)

	resp = b.post("/runs/"+id+"/signal", url.Values{"csrf": {csrf}, "name": {"approve"}, "field.approved": {"true"}, "field.by": {"ana"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body(t, resp))
	assert.Contains(t, resp.Header.Get("Location"), "delivered+signal")
	run := waitState(t, id, client.Done)

	_, page = b.get("/runs/" + id + "?step=charge")
	assert.Contains(t, boxClasses(t, page, "charge"), "state-done")
	assert.Contains(t, boxClasses(t, page, "charge"), "selected")
	details, err := cl.Details(t.Context(), id)
	require.NoError(t, err)
	assert.Contains(t, page, details.StepKey("charge"), "the idempotency key")
	assert.Contains(t, page, `<pre class="json" id="step-input">{
  &#34;amount&#34;: 5000,
  &#34;customer&#34;: &#34;cus_ada&#34;
}</pre>`)
	assert.Contains(t, page, `id="step-output"`)
	assert.Contains(t, page, `id="run-output"`)
	// When the step ran, from the times Restate wrote its journal entries.
	charge := run.Steps[1]
	require.Equal(t, "charge", charge.ID)
	require.NotNil(t, charge.StartedAt)
	require.NotNil(t, charge.EndedAt)
	assert.Contains(t, page, "<dt>Started</dt><dd>"+charge.StartedAt.UTC().Format("2006-01-02 15:04:05.000 UTC")+"</dd>")
	assert.Contains(t, page, "<dt>Ended</dt><dd>"+charge.EndedAt.UTC().Format("2006-01-02 15:04:05.000 UTC")+"</dd>")
	assert.Contains(t, page, "<dt>Took</dt><dd>")
	assert.Regexp(t, `id="step-charge"[^>]*>\s*<a[^>]*>.*</a>\s*<div class="step-note">took `, page)
	assert.NotContains(t, page, "Cancel run", "a finished run offers no cancel")
	assert.Equal(t, run.WorkflowID, id)

	// The sandbox saw the key the page shows.
	ledger := stack.Sandbox.Ledger()
	found := false
	for _, e := range ledger.Effects {
		if e.IdempotencyKey == details.StepKey("charge") {
			found = true
		}
	}
	assert.True(t, found, "the charge's key is the one the provider got")
}

// Actions are POSTs from the console's own pages: another site's form,
// or one without the session's CSRF token, is refused and changes
// nothing.
func TestActionsRefuseCrossSiteRequests(t *testing.T) {
	b := newBrowser(t)
	id := uniqueID(t)
	submit(t, "order-approval.json", id, approvalInput("cus_ada", 5000))
	waitState(t, id, client.Waiting)
	csrf := b.csrf("/runs/" + id)

	b.origin = "http://evil.example"
	resp := b.post("/runs/"+id+"/cancel", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body(t, resp), "cross-site request refused")
	b.origin = ""
	resp = b.post("/runs/"+id+"/cancel", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "neither Origin nor Sec-Fetch-Site")
	b.origin = b.srv.URL
	resp = b.post("/runs/"+id+"/cancel", url.Values{"csrf": {"0123"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body(t, resp), "CSRF token")

	// Another browser's session has another token.
	other := newBrowser(t)
	other.srv.Close()
	other.srv = b.srv
	other.origin = b.srv.URL
	resp = other.post("/runs/"+id+"/cancel", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/runs/"+id+"/cancel", nil)
	getResp, err := b.http.Do(req)
	require.NoError(t, err)
	getResp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, getResp.StatusCode, "actions are POST only")
	assert.Equal(t, client.Waiting, waitState(t, id, client.Waiting).State, "nothing was cancelled")

	resp = b.post("/runs/"+id+"/cancel", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body(t, resp))
	waitState(t, id, client.Failed)
	resp = b.post("/runs/"+id+"/cancel", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body(t, resp), "reaflow cancel: ")
}

// Without a token the console answers only to loopback names, so a web
// page cannot reach it through DNS rebinding; with one, every request
// needs it.
func TestAccess(t *testing.T) {
	b := newBrowser(t)
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/runs", nil)
	req.Host = "rebound.example:7070"
	resp, err := b.http.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode)

	const token = "s3cret-console-token"
	tb := newBrowser(t, console.WithToken(token))
	status, _ := tb.get("/runs")
	assert.Equal(t, http.StatusSeeOther, status, "to the login form")
	status, page := tb.get("/login?next=/definitions")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, `name="token"`)
	resp = tb.post("/login", url.Values{"token": {"wrong"}, "next": {"/definitions"}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = tb.post("/login", url.Values{"token": {token}, "next": {"https://evil.example/"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/runs", resp.Header.Get("Location"), "login sends nowhere but the console")
	status, _ = tb.get("/definitions")
	assert.Equal(t, http.StatusOK, status, "the cookie lets the browser in")

	req, _ = http.NewRequest(http.MethodGet, tb.srv.URL+"/runs", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Host = "console.example:7070"
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "with a token any host name will do")
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		assert.NotEmpty(t, resp.Header.Get(h), h)
	}
}

// A failed run offers a redrive, from the failure or a chosen step; the
// new run's page names the run it redrives, and that run's its
// redrive.
func TestRedrive(t *testing.T) {
	b := newBrowser(t)
	id := uniqueID(t)
	submit(t, "order-approval.json", id, approvalInput("cus_declined_2", 10))
	waitState(t, id, client.Failed)
	_, page := b.get("/runs/" + id)
	assert.Contains(t, boxClasses(t, page, "charge"), "state-failed")
	assert.Contains(t, page, "card_declined")
	assert.Contains(t, page, `<option value="charge">step charge</option>`)

	resp := b.post("/runs/"+id+"/redrive", url.Values{"csrf": {b.csrf("/runs/" + id)}, "from": {""}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body(t, resp))
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/runs/"+id+"-redrive-1?"), loc)
	waitState(t, id+"-redrive-1", client.Failed)
	_, page = b.get("/runs/" + id + "-redrive-1")
	assert.Contains(t, page, `Redrive of</dt><dd><a href="/runs/`+id+`">`)
	_, page = b.get("/runs/" + id)
	assert.Contains(t, page, `Redriven as</dt><dd><a href="/runs/`+id+`-redrive-1">`)
	assert.NotContains(t, page, "Redrive</h2>", "a run is redriven once")

	resp = b.post("/runs/"+id+"/redrive", url.Values{"csrf": {b.csrf("/runs/" + id)}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body(t, resp), "reaflow redrive: ")
}

// A run of a 1,000-item foreach is drawn with the items counted, not
// listed: the page carries no item's output until one is asked for.
func TestLargeForeach(t *testing.T) {
	b := newBrowser(t)
	id := uniqueID(t)
	submit(t, `{"name": "thousand", "steps": [
	  {"id": "each", "foreach": {"items": "1..1000", "concurrency": 8, "steps": [
	    {"id": "work", "activity": "item", "with": {"n": "${ item }", "pad": "output-of-item-${ index }"}}
	  ]}}
	]}`, id, `{}`)
	waitState(t, id, client.Done)

	status, page := b.get("/runs/" + id + "?step=work")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "1000/1000 done")
	assert.Contains(t, boxClasses(t, page, "each"), "state-done")
	assert.NotRegexp(t, "output-of-item-[0-9]", page, "no item's output until asked for")
	assert.Less(t, len(page), 64<<10, "the page stays small")
	assert.Contains(t, page, "pick an item")

	_, page = b.get("/runs/" + id + "?step=work&item=999")
	assert.Contains(t, page, "output-of-item-999")
	assert.NotContains(t, page, "output-of-item-998")
	assert.Contains(t, page, "each[999]/work")
}

// The definitions pages list what is deployed, draw a version and show
// its source with line numbers.
func TestDefinitions(t *testing.T) {
	b := newBrowser(t)
	text := `{"name": "listed", "version": "2.0.0", "steps": [{"id": "only", "set": {"x": 1}}]}`
	_, err := cl.Deploy(t.Context(), []byte(text), "listed.json")
	require.NoError(t, err)
	_, page := b.get("/definitions")
	assert.Contains(t, page, `href="/definitions/listed"`)
	assert.Contains(t, page, "2.0.0")
	status, page := b.get("/definitions/listed?version=2.0.0")
	require.Equal(t, http.StatusOK, status, page)
	assert.Contains(t, page, `id="step-only"`)
	assert.Contains(t, page, `<ol class="source" id="source"><li><code>{&#34;name&#34;: &#34;listed&#34;`)
	status, _ = b.get("/definitions/never-deployed")
	assert.Equal(t, http.StatusNotFound, status)
}
