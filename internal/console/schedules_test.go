package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/interpreter"
)

// newSchedule deploys a one-step definition and makes a schedule of it
// that fires every hour, so that only a trigger fires it in a test.
func newSchedule(t testing.TB) string {
	t.Helper()
	_, err := cl.Deploy(t.Context(), []byte(`{"name": "scheduled-hello", "version": "1", "steps": [{"id": "s", "set": {"x": 1}}]}`), "scheduled-hello.json")
	require.NoError(t, err)
	name := fmt.Sprintf("console-%d", time.Now().UnixNano())
	_, err = cl.CreateSchedule(t.Context(), name, interpreter.ScheduleSpec{Workflow: "scheduled-hello", Every: "1h"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.DeleteSchedule(context.Background(), name) })
	return name
}

var startedRun = regexp.MustCompile(`started run (\S+)`)

// The schedules page lists each schedule with its spec, next fires and
// last run; its actions pause, resume and trigger it, under the same
// protections as the run actions; a run a schedule fired says so.
func TestSchedulesPage(t *testing.T) {
	b := newBrowser(t)
	name := newSchedule(t)
	path := "/schedules/" + name

	status, page := b.get("/schedules")
	require.Equal(t, http.StatusOK, status, page)
	for _, want := range []string{
		`href="` + path + `"`, `href="/definitions/scheduled-hello"`, "<code>every 1h</code>",
		`<span class="chip state-running">active</span>`, `action="` + path + `/pause"`, `action="` + path + `/trigger"`,
		`href="/runs?id=` + url.QueryEscape(name+":") + `"`,
	} {
		assert.Contains(t, page, want)
	}
	info, err := cl.DescribeSchedule(t.Context(), name)
	require.NoError(t, err)
	require.NotEmpty(t, info.NextFires)
	assert.Contains(t, page, info.NextFires[0].UTC().Format("2006-01-02 15:04:05 UTC"))

	// Triggering starts a run, which the schedule, the list and the run
	// page link to one another.
	csrf := b.csrf(path)
	resp := b.post(path+"/trigger", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body(t, resp))
	notice, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	m := startedRun.FindStringSubmatch(notice.Query().Get("notice"))
	require.NotNil(t, m, "notice: %s", notice)
	run := m[1]
	waitState(t, run, client.Done)
	_, page = b.get("/runs/" + run)
	assert.Contains(t, page, `<dt>Fired by</dt><dd>schedule <a href="`+path+`">`+name+`</a></dd>`)
	require.Eventually(t, func() bool {
		_, page = b.get(path)
		return regexp.MustCompile(`href="/runs/` + regexp.QuoteMeta(run) + `">[^<]*</a></td>\s*<td><span class="chip state-done">succeeded</span>`).MatchString(page)
	}, 10*time.Second, 100*time.Millisecond, "the recent fires show the run succeeded:\n%s", page)
	_, page = b.get("/schedules")
	assert.Contains(t, page, `<a href="/runs/`+run+`">`+run+`</a> <span class="chip state-done">succeeded</span>`)

	// Pausing needs the console's own page and the session's token.
	b.origin = "http://evil.example"
	resp = b.post(path+"/pause", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	b.origin = b.srv.URL
	resp = b.post(path+"/pause", url.Values{"csrf": {"0123"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	info, err = cl.DescribeSchedule(t.Context(), name)
	require.NoError(t, err)
	assert.False(t, info.Spec.Paused, "nothing was paused")

	resp = b.post(path+"/pause", url.Values{"csrf": {csrf}, "note": {"warehouse migration"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body(t, resp))
	_, page = b.get(resp.Header.Get("Location"))
	for _, want := range []string{
		"paused schedule " + name, `<span class="chip state-waiting" id="schedule-state">paused</span>`,
		"<dt>Paused</dt><dd>warehouse migration</dd>", "none while paused", `action="` + path + `/resume"`,
	} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, `action="`+path+`/pause"`)
	info, err = cl.DescribeSchedule(t.Context(), name)
	require.NoError(t, err)
	assert.True(t, info.Spec.Paused)
	assert.Equal(t, "warehouse migration", info.Spec.Note)

	resp = b.post(path+"/resume", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body(t, resp))
	_, page = b.get(resp.Header.Get("Location"))
	assert.Contains(t, page, "resumed schedule "+name)
	assert.Contains(t, page, `<span class="chip state-running" id="schedule-state">active</span>`)
	info, err = cl.DescribeSchedule(t.Context(), name)
	require.NoError(t, err)
	assert.False(t, info.Spec.Paused)
}

// An unknown schedule's page, and an action on it, say there is none.
func TestUnknownSchedule(t *testing.T) {
	b := newBrowser(t)
	status, page := b.get("/schedules/no-such-schedule")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, page, `no schedule named &#34;no-such-schedule&#34;`)
	resp := b.post("/schedules/no-such-schedule/pause", url.Values{"csrf": {b.csrf("/schedules")}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body(t, resp), "reaflow schedule pause no-such-schedule: [404] no schedule named")
}
