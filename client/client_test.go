package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

func submit(t *testing.T, c *client.Client, definition, input, id string) *client.Submitted {
	t.Helper()
	sent, err := c.Submit(t.Context(), client.SubmitRequest{Definition: []byte(definition), File: "test.json", Input: json.RawMessage(input), ID: id})
	require.NoError(t, err)
	return sent
}

// waitFor watches the run until cond holds for its status.
// untimed returns the steps without the times they ran at, after checking
// that each step that has a start time ended no earlier.
func untimed(t *testing.T, steps []client.StepStatus) []client.StepStatus {
	t.Helper()
	out := make([]client.StepStatus, len(steps))
	for i, st := range steps {
		if st.StartedAt != nil && st.EndedAt != nil {
			assert.False(t, st.EndedAt.Before(*st.StartedAt), "step %s ended before it started", st.ID)
		}
		st.StartedAt, st.EndedAt = nil, nil
		out[i] = st
	}
	return out
}

func waitFor(t *testing.T, c *client.Client, id string, cond func(*client.Run) bool) *client.Run {
	t.Helper()
	var last *client.Run
	require.Eventually(t, func() bool {
		run, err := c.Status(t.Context(), id)
		if err != nil {
			return false
		}
		last = run
		return cond(run)
	}, 20*time.Second, 50*time.Millisecond, "run %s: %+v", id, last)
	return last
}

func TestSubmitAttachOutputStatus(t *testing.T) {
	c := newClient(t)
	id := uniqueID(t)
	sent := submit(t, c, hello, `{"name": "ada"}`, id)
	assert.Equal(t, &client.Submitted{ID: id}, sent)

	out, err := c.Attach(t.Context(), id)
	require.NoError(t, err)
	assert.JSONEq(t, `{"greeting": "hello ada"}`, string(out))
	out, err = c.Output(t.Context(), id)
	require.NoError(t, err)
	assert.JSONEq(t, `{"greeting": "hello ada"}`, string(out))

	run, err := c.Status(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, client.Done, run.State)
	assert.Equal(t, "hello", run.Definition)
	assert.Equal(t, []client.StepStatus{{ID: "greet", Activity: "greet", State: client.Done}}, untimed(t, run.Steps))

	// Submitting again with the id starts nothing new.
	again := submit(t, c, hello, `{"name": "bob"}`, id)
	assert.True(t, again.Attached)
	out, err = c.Output(t.Context(), id)
	require.NoError(t, err)
	assert.JSONEq(t, `{"greeting": "hello ada"}`, string(out))

	// Without an id, one is made from the definition's name.
	made := submit(t, c, hello, `{"name": "cy"}`, "")
	assert.Regexp(t, `^hello-[a-z2-9]{6}$`, made.ID)
	var seen []client.State
	last, err := c.Watch(t.Context(), made.ID, func(run *client.Run) { seen = append(seen, run.State) })
	require.NoError(t, err)
	assert.Equal(t, client.Done, last.State)
	assert.Equal(t, client.Done, seen[len(seen)-1])
}

func TestSubmitRefusesWhatCannotRun(t *testing.T) {
	c := newClient(t)
	_, err := c.Submit(t.Context(), client.SubmitRequest{Definition: []byte(hello), ID: "a/b"})
	require.ErrorIs(t, err, client.ErrInvalidID)
	assert.EqualError(t, err, `the id "a/b" has the character '/'; use letters, digits and - _ . : ~`)
	_, err = c.Submit(t.Context(), client.SubmitRequest{Definition: []byte(`{"name": "x", "steps": []`)})
	require.Error(t, err, "a definition Load refuses is not sent")
	_, err = c.Submit(t.Context(), client.SubmitRequest{Definition: []byte(hello), Deployed: "hello"})
	require.ErrorContains(t, err, "not both")
}

func TestAFailedRunIsARunError(t *testing.T) {
	c := newClient(t)
	id := uniqueID(t)
	submit(t, c, declined, `{}`, id)
	_, err := c.Attach(t.Context(), id)
	var failed *client.RunError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, id, failed.WorkflowID)
	assert.Equal(t, 500, failed.Code)
	assert.Equal(t, "pay", failed.Step)
	assert.Equal(t, "card_declined", failed.ErrorCode)
	assert.Contains(t, failed.Message, "the card was declined")
	assert.Equal(t, `run "`+id+`" failed: `+failed.Message, err.Error())

	_, err = c.Output(t.Context(), id)
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, "pay", failed.Step)
}

func TestUnknownRun(t *testing.T) {
	c := newClient(t)
	id := uniqueID(t)
	_, err := c.Status(t.Context(), id)
	require.ErrorIs(t, err, client.ErrNotFound)
	assert.EqualError(t, err, `no such run "`+id+`"`)
	_, err = c.Output(t.Context(), id)
	require.ErrorIs(t, err, client.ErrNotFound)
	_, err = c.Attach(t.Context(), id)
	require.ErrorIs(t, err, client.ErrNotFound)
	require.ErrorIs(t, c.Signal(t.Context(), id, "approve", nil), client.ErrNotFound)
	_, err = c.Cancel(t.Context(), id)
	require.ErrorIs(t, err, client.ErrNotFound)
	var notFound *client.NotFoundError
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, client.NotFoundError{What: "run", Name: id}, *notFound)
}

func TestSignals(t *testing.T) {
	c := newClient(t)
	id := uniqueID(t)
	submit(t, c, approval, `{}`, id)
	waitFor(t, c, id, func(run *client.Run) bool { return run.State == client.Waiting })

	_, err := c.Output(t.Context(), id)
	require.ErrorIs(t, err, client.ErrNotFinished)

	var refused *client.RefusedError
	require.ErrorAs(t, c.Signal(t.Context(), id, "reject", nil), &refused, "no await step for it")
	assert.Equal(t, 404, refused.Code)
	assert.True(t, refused.ByRun)
	assert.Contains(t, refused.Message, "approve")
	err = c.Signal(t.Context(), id, "approve", json.RawMessage(`{"who": "ana"}`))
	require.ErrorIs(t, err, client.ErrRefused, "the payload fails the schema")
	require.ErrorAs(t, err, &refused)
	assert.Equal(t, 400, refused.Code)

	require.NoError(t, c.Signal(t.Context(), id, "approve", json.RawMessage(`{"by": "ana"}`)))
	out, err := c.Attach(t.Context(), id)
	require.NoError(t, err)
	assert.JSONEq(t, `{"by": "ana"}`, string(out))

	err = c.Signal(t.Context(), id, "approve", json.RawMessage(`{"by": "bo"}`))
	require.ErrorIs(t, err, client.ErrFinished)
	var finished *client.FinishedError
	require.ErrorAs(t, err, &finished)
	assert.Equal(t, client.Done, finished.State)
	assert.EqualError(t, err, "run "+id+" has already finished (done)")
}

func TestCallbacks(t *testing.T) {
	c := newClient(t)
	resolved, rejected := uniqueID(t)+"-r", uniqueID(t)+"-j"
	callbackOf := func(id string) string {
		submit(t, c, signed, `{}`, id)
		run := waitFor(t, c, id, func(run *client.Run) bool { return run.State == client.Waiting && run.Steps[0].CallbackID != "" })
		return run.Steps[0].CallbackID
	}

	cb := callbackOf(resolved)
	done, err := c.Resolve(t.Context(), cb, json.RawMessage(`{"signed": true}`))
	require.NoError(t, err)
	require.NotNil(t, done.Owner)
	assert.Equal(t, "run "+resolved, done.Owner.String())
	assert.NoError(t, done.Unchecked)
	out, err := c.Attach(t.Context(), resolved)
	require.NoError(t, err)
	assert.JSONEq(t, `{"signed": true}`, string(out))
	_, err = c.Resolve(t.Context(), cb, nil)
	require.ErrorIs(t, err, client.ErrFinished)

	cb = callbackOf(rejected)
	_, err = c.Reject(t.Context(), cb, "expired")
	require.NoError(t, err)
	var failed *client.RunError
	_, err = c.Attach(t.Context(), rejected)
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, failed.Message, "expired")

	var refused *client.RefusedError
	_, err = c.Resolve(t.Context(), "approval-1", nil)
	require.ErrorAs(t, err, &refused)
	assert.Equal(t, 400, refused.Code)
	assert.False(t, refused.ByRun)
	// A well-formed id of an invocation Restate does not know.
	_, err = c.Resolve(t.Context(), "sign_15Arsm8cnmlE6gJeYs6RxWa-nkMGR_D_rAAAAEQ", nil)
	require.ErrorIs(t, err, client.ErrNotFound)
}

func TestCancel(t *testing.T) {
	c := newClient(t)
	id := uniqueID(t)
	submit(t, c, approval, `{}`, id)
	waitFor(t, c, id, func(run *client.Run) bool { return run.State == client.Waiting })

	inv, err := c.Cancel(t.Context(), id)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(inv, "inv_"), inv)
	run, err := c.Watch(t.Context(), id, nil)
	require.NoError(t, err)
	assert.Equal(t, client.Failed, run.State)
	var failed *client.RunError
	_, err = c.Output(t.Context(), id)
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, 409, failed.Code)

	_, err = c.Cancel(t.Context(), id)
	require.ErrorIs(t, err, client.ErrFinished)
	assert.EqualError(t, err, "run "+id+" has already finished (failed)")
}

func TestList(t *testing.T) {
	c := newClient(t)
	prefix := uniqueID(t)
	started := time.Now().Add(-time.Second)
	name := "listed-" + prefix
	definition := `{"name": "` + name + `", "steps": [
  {"id": "gate", "when": "input.wait", "await": {"signal": "go"}},
  {"id": "refuse", "when": "input.fail", "fail": {"error": "refused", "message": "no"}}
]}`
	done, failed, waiting := prefix+"-1", prefix+"-2", prefix+"-3"
	submit(t, c, definition, `{}`, done)
	_, err := c.Attach(t.Context(), done)
	require.NoError(t, err)
	submit(t, c, definition, `{"fail": true}`, failed)
	_, err = c.Attach(t.Context(), failed)
	require.Error(t, err)
	submit(t, c, definition, `{"wait": true}`, waiting)
	waitFor(t, c, waiting, func(run *client.Run) bool { return run.State == client.Waiting })

	ids := func(page *client.RunPage) []string {
		var out []string
		for _, run := range page.Runs {
			out = append(out, run.WorkflowID)
		}
		return out
	}
	page, err := c.List(t.Context(), client.ListOptions{IDPrefix: prefix, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{waiting, failed}, ids(page), "newest first")
	require.NotEmpty(t, page.NextPageToken)
	page, err = c.List(t.Context(), client.ListOptions{IDPrefix: prefix, Limit: 2, PageToken: page.NextPageToken})
	require.NoError(t, err)
	assert.Equal(t, []string{done}, ids(page))
	assert.Empty(t, page.NextPageToken)

	for state, want := range map[client.State][]string{client.Done: {done}, client.Failed: {failed}, client.Running: {waiting}} {
		page, err = c.List(t.Context(), client.ListOptions{IDPrefix: prefix, State: state})
		require.NoError(t, err)
		assert.Equal(t, want, ids(page), state)
	}
	page, err = c.List(t.Context(), client.ListOptions{Definition: name, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{waiting, failed, done}, ids(page))
	page, err = c.List(t.Context(), client.ListOptions{IDPrefix: prefix, CreatedAfter: started, CreatedBefore: started.Add(-time.Hour)})
	require.NoError(t, err)
	assert.Empty(t, page.Runs)
	page, err = c.List(t.Context(), client.ListOptions{IDPrefix: prefix, CreatedAfter: started, CreatedBefore: time.Now().Add(time.Minute)})
	require.NoError(t, err)
	assert.Len(t, page.Runs, 3)

	_, err = c.List(t.Context(), client.ListOptions{State: client.Skipped})
	require.Error(t, err)
	require.NoError(t, c.Signal(t.Context(), waiting, "go", nil))
}

// headerRecorder records the headers of the requests it passes on.
type headerRecorder struct {
	mu      sync.Mutex
	headers []http.Header
}

func (r *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestDeployAndDefinitions(t *testing.T) {
	rec := &headerRecorder{}
	c := newClient(t, client.WithHTTPClient(&http.Client{Transport: rec}), client.WithDeployToken("s3cret"))
	name := "deployed-" + uniqueID(t)
	definition := strings.Replace(hello, `"name": "hello"`, `"name": "`+name+`"`, 1)

	res, err := c.Deploy(t.Context(), []byte(definition), "hello.json")
	require.NoError(t, err)
	assert.Equal(t, name, res.Name)
	assert.Equal(t, "1.0.0", res.Version)
	assert.False(t, res.Unchanged)
	assert.Equal(t, "s3cret", rec.headers[len(rec.headers)-1].Get(client.DeployTokenHeader))
	res, err = c.Deploy(t.Context(), []byte(definition), "hello.json")
	require.NoError(t, err)
	assert.True(t, res.Unchanged)

	names, err := c.Definitions(t.Context())
	require.NoError(t, err)
	assert.Contains(t, names, name)
	versions, err := c.Versions(t.Context(), name)
	require.NoError(t, err)
	require.Len(t, versions, 1)
	assert.Equal(t, "hello.json", versions[0].File)
	got, err := c.Definition(t.Context(), name+"@1.0.0")
	require.NoError(t, err)
	assert.Equal(t, definition, got.Definition)
	_, err = c.Definition(t.Context(), name+"@2.0.0")
	require.ErrorIs(t, err, client.ErrNotFound)
	_, err = c.Definition(t.Context(), "never-deployed-"+uniqueID(t))
	require.ErrorIs(t, err, client.ErrNotFound)
	assert.True(t, client.IsDeployedRef(name+"@1.0.0"))

	id := uniqueID(t)
	sent, err := c.Submit(t.Context(), client.SubmitRequest{Deployed: name, Input: json.RawMessage(`{"name": "dee"}`), ID: id})
	require.NoError(t, err)
	assert.Equal(t, id, sent.ID)
	out, err := c.Attach(t.Context(), id)
	require.NoError(t, err)
	assert.JSONEq(t, `{"greeting": "hello dee"}`, string(out))
}

// With several addresses, requests move on from one that is down.
func TestSeveralAddressesFallOver(t *testing.T) {
	c, err := client.New(restatetest.DeadURL(t)+","+ingressURL, restatetest.DeadURL(t)+", "+adminURL+"/")
	require.NoError(t, err)
	id := uniqueID(t)
	submit(t, c, hello, `{"name": "ada"}`, id)
	_, err = c.Attach(t.Context(), id)
	require.NoError(t, err)
	run, err := c.Status(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, client.Done, run.State)
}

func TestUnreachable(t *testing.T) {
	c, err := client.New(restatetest.DeadURL(t)+","+restatetest.DeadURL(t), restatetest.DeadURL(t))
	require.NoError(t, err)
	var unreachable *client.UnreachableError
	_, err = c.Submit(t.Context(), client.SubmitRequest{Definition: []byte(hello), ID: "x"})
	require.ErrorAs(t, err, &unreachable)
	assert.Equal(t, "ingress", unreachable.API)
	assert.Contains(t, err.Error(), "none of 2 addresses answered")
	_, err = c.Status(t.Context(), "x")
	require.ErrorAs(t, err, &unreachable)
	assert.Equal(t, "admin API", unreachable.API)
	_, err = c.Output(t.Context(), "x")
	require.ErrorAs(t, err, &unreachable)
	assert.False(t, errors.Is(err, client.ErrNotFound))
}
