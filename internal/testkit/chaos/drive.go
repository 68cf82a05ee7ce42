package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	reaflow "github.com/reaflow/reaflow/client"

	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
)

// observation is what the soak saw of one run.
type observation struct {
	Run *run
	// Submitted is set once Restate accepted the run, as InvocationID.
	Submitted    bool
	InvocationID string
	// Cancelled is set once Restate accepted the run's cancellation.
	Cancelled         bool
	SubmitAttempts    int
	SignalAttempts    int
	SignalDelivered   bool
	Start, End        time.Time
	State             runState
	Finished          bool
	Output            json.RawMessage
	OutputFetchErrors int
	// Trouble lists what went wrong on the way, for the report.
	Trouble []string
	// PlanProblems are the differences between a redrive's plan and what
	// the soak expects of it.
	PlanProblems []string
	// CallsBefore holds, for a redrive, the ledger's call counts of the
	// keys of the steps it reuses, taken before it started.
	CallsBefore map[string]int
}

// client talks to Restate's ingress the way any outside caller would: a
// plain HTTP client that retries through restarts of the server.
type client struct {
	ingress string
	admin   *admin.Client
	http    *http.Client
	watch   *watcher
	defs    map[string]string
	// api is reaflow's client, for what the soak does as a user of it:
	// redrives and schedules.
	api     *reaflow.Client
	ledger  func() sandbox.Ledger
	outages *outages
}

// retryPause is how long a caller waits before trying a call again after
// a refused connection or an unavailable server.
const retryPause = 200 * time.Millisecond

// call sends one request and returns the status and body, or an error
// for a transport failure (the server is down or restarting).
func (c *client) call(ctx context.Context, method, path string, body []byte, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.ingress+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, data, nil
}

// transient tells answers worth retrying: the ingress is up but the
// cluster is not ready, or a proxy in front of it timed out.
func transient(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusBadGateway || status == http.StatusGatewayTimeout || status == http.StatusTooManyRequests
}

func pause(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(retryPause):
		return true
	}
}

// submit starts the run with the ingress's send call, which answers once
// the run is durably accepted, until Restate accepts it. A workflow id
// runs once, so a retry after an answer that got lost is harmless: it
// answers PreviouslyAccepted.
func (c *client) submit(ctx context.Context, o *observation) {
	body := mustJSON(interpreter.RunRequest{Definition: c.defs[o.Run.File], Input: o.Run.Input, File: o.Run.File})
	path := "/" + interpreter.WorkflowService + "/" + url.PathEscape(o.Run.ID) + "/Run/send"
	for {
		o.SubmitAttempts++
		status, resp, err := c.call(ctx, http.MethodPost, path, body, 30*time.Second)
		switch {
		case err == nil && status/100 == 2:
			var accepted struct {
				InvocationID string `json:"invocationId"`
			}
			if err := json.Unmarshal(resp, &accepted); err != nil || accepted.InvocationID == "" {
				o.Trouble = append(o.Trouble, fmt.Sprintf("submit answered %d %s: no invocation id", status, bytes.TrimSpace(resp)))
			}
			o.Submitted, o.InvocationID = true, accepted.InvocationID
			o.Start = time.Now()
			return
		case err == nil && !transient(status):
			o.Trouble = append(o.Trouble, fmt.Sprintf("submit refused: %d %s", status, bytes.TrimSpace(resp)))
			return
		}
		if !pause(ctx) {
			return
		}
	}
}

// signal delivers the run's signal through its Signal handler, retrying
// until the run accepts it. The run answers 404 until it has started (its
// definition is not stored yet) and 409 for a signal it already has,
// which after a lost answer is this one: only the soak signals.
func (c *client) signal(ctx context.Context, o *observation) {
	body := mustJSON(interpreter.SignalRequest{Name: "approve", Payload: o.Run.Signal})
	path := "/" + interpreter.WorkflowService + "/" + url.PathEscape(o.Run.ID) + "/Signal"
	for {
		if st, ok := c.watch.state(o.Run.ID); ok && st.done() {
			return
		}
		o.SignalAttempts++
		status, resp, err := c.call(ctx, http.MethodPost, path, body, 30*time.Second)
		switch {
		case err == nil && (status/100 == 2 || status == http.StatusConflict):
			o.SignalDelivered = true
			return
		case err == nil && status != http.StatusNotFound && !transient(status) && status < 500:
			o.Trouble = append(o.Trouble, fmt.Sprintf("signal refused: %d %s", status, bytes.TrimSpace(resp)))
			return
		}
		if !pause(ctx) {
			return
		}
	}
}

// cancel cancels the run through the admin API, as `reaflow cancel`
// does, once it has run for r.CancelAfter. A run that has ended by then
// is left alone.
func (c *client) cancel(ctx context.Context, o *observation) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(o.Run.CancelAfter):
	}
	for {
		if st, ok := c.watch.state(o.Run.ID); ok && st.done() {
			return
		}
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := c.admin.CancelInvocation(actx, o.InvocationID)
		cancel()
		switch {
		case err == nil:
			o.Cancelled = true
			return
		case errors.Is(err, admin.ErrInvocationCompleted):
			return
		case errors.Is(err, admin.ErrInvocationNotFound):
			o.Trouble = append(o.Trouble, "cancel: "+err.Error())
			return
		}
		if !pause(ctx) {
			return
		}
	}
}

// output fetches a successful run's output.
func (c *client) output(ctx context.Context, o *observation) {
	path := "/restate/workflow/" + interpreter.WorkflowService + "/" + url.PathEscape(o.Run.ID) + "/output"
	for {
		status, resp, err := c.call(ctx, http.MethodGet, path, nil, 30*time.Second)
		if err == nil && status == http.StatusOK {
			o.Output = resp
			return
		}
		o.OutputFetchErrors++
		if !pause(ctx) {
			o.Trouble = append(o.Trouble, fmt.Sprintf("output not fetched: %d %s %v", status, bytes.TrimSpace(resp), err))
			return
		}
	}
}

// drive runs one run to its end: submit, signal if the scenario says so,
// wait for the end, fetch the output of a success.
func (c *client) drive(ctx context.Context, r *run) *observation {
	o := &observation{Run: r}
	c.submit(ctx, o)
	if o.Submitted {
		c.follow(ctx, o)
	}
	return o
}

// follow takes a started run to its end.
func (c *client) follow(ctx context.Context, o *observation) {
	r := o.Run
	if r.Signal != nil {
		c.signal(ctx, o)
	}
	if r.CancelAfter > 0 && o.InvocationID != "" {
		c.cancel(ctx, o)
	}
	st, err := c.watch.wait(ctx, r.ID)
	if err != nil {
		o.State, _ = c.watch.state(r.ID)
		return
	}
	o.End, o.State, o.Finished = time.Now(), st, true
	if st.Result == "success" {
		// The output outlives restarts, so a fetch interrupted by one is
		// simply repeated.
		c.output(ctx, o)
	}
}

// driveJob runs a job's planned runs together, each with the redrives
// its failures call for, then its follow-up, once the first run's
// lineage has completed.
func (c *client) driveJob(ctx context.Context, j *job) []*observation {
	lineages := make([][]*observation, len(j.runs))
	done := make(chan struct{})
	for i, r := range j.runs {
		go func() {
			lineages[i] = c.driveLineage(ctx, r)
			done <- struct{}{}
		}()
	}
	for range j.runs {
		<-done
	}
	obs := slices.Concat(lineages...)
	first := lineages[0][len(lineages[0])-1]
	if j.followUp == nil || !first.Finished || first.State.Result != "success" || first.Output == nil {
		return obs
	}
	l := c.ledger()
	next, err := j.followUp(first, &l)
	if err != nil {
		first.Trouble = append(first.Trouble, "follow-up not planned: "+err.Error())
		return obs
	}
	return append(obs, c.driveLineage(ctx, next)...)
}

// failureText is the run's error as the report shows it.
func (o *observation) failureText() string {
	return strings.TrimSpace(o.State.Failure)
}
