package client

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/admin"
	"github.com/reaflow/reaflow/internal/failover"
	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/interpreter"
)

// SubmitRequest says what run to start.
type SubmitRequest struct {
	// Definition is the text of the definition to run, as in its file;
	// the run pins it. Child definitions must be inlined (dsl.Program's
	// Canonical form has them so).
	Definition []byte
	// Deployed names a deployed definition instead: NAME for its latest
	// version, NAME@VERSION for a version label or a content hash.
	Deployed string
	// File names the definition in the run's error messages.
	File string
	// Input is the run's input, as JSON.
	Input json.RawMessage
	// ID is the workflow id. When empty one is made up from the
	// definition's name: "<name>-<6 random characters>".
	ID string
	// OnResend, when set, is called once if Restate did not take the run
	// at the first attempt and Submit sends it again.
	OnResend func(id string, err error)
}

// Submitted says what Submit did.
type Submitted struct {
	ID string
	// Attached is true when a run with the id existed already (a second
	// submit with the same id, or a send Restate took just before its
	// answer was lost): Submit started nothing new.
	Attached bool
}

// Submit starts a run and returns once Restate has taken it, without
// waiting for the run (Attach and Watch do). It sends the run again while
// Restate cannot take it, as happens while a cluster node fails over
// (WithFailoverWait). Sending again, like calling Submit again with the
// same id, is safe: Restate starts at most one run per workflow id.
func (c *Client) Submit(ctx context.Context, req SubmitRequest) (*Submitted, error) {
	text, file := string(req.Definition), req.File
	if req.Deployed != "" {
		if req.Definition != nil {
			return nil, errors.New("submit: give a definition's text or a deployed definition's name, not both")
		}
		deployed, err := c.Definition(ctx, req.Deployed)
		if err != nil {
			return nil, err
		}
		text, file = deployed.Definition, deployed.File
	}
	id := req.ID
	if id == "" {
		prog, err := dsl.Load(file, []byte(text))
		if err != nil {
			return nil, fmt.Errorf("submit: %w", err)
		}
		id = newRunID(prog.Name)
	}
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	run := interpreter.RunRequest{Definition: text, Input: req.Input, File: file}
	since := time.Now()
	for attempt := 0; ; attempt++ {
		attached, err := c.send(ctx, id, run)
		if err == nil || ctx.Err() != nil || !failover.Unavailable(err) || time.Since(since) > c.cfg.rideOut {
			if err != nil {
				return nil, c.unreachable(err)
			}
			return &Submitted{ID: id, Attached: attached}, nil
		}
		if attempt == 0 && req.OnResend != nil {
			req.OnResend(id, err)
		}
		if err := failover.Pause(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// send sends the run once; attached reports that it existed already.
func (c *Client) send(ctx context.Context, id string, run interpreter.RunRequest, opts ...ingress.SendOption) (attached bool, err error) {
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	sent, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](c.ingress, interpreter.WorkflowService, id, "Run").Send(ctx, run, opts...)
	var answer ingress.Error
	switch {
	case err == nil:
		return sent.Status() == "PreviouslyAccepted", nil
	case errors.As(err, &answer) && answer.Code() == http.StatusConflict:
		// Restate answers 409 "already invoked" for a run it has, and
		// during a failover also for one it took on an earlier attempt
		// whose answer was lost; either way the run goes on.
		return true, nil
	}
	return false, err
}

// ValidateID refuses workflow ids that do not fit in a URL path segment
// as they are: the id is the workflow key in every ingress URL. The
// error is ErrInvalidID, and says why.
func ValidateID(id string) error {
	if len(id) > 200 {
		return invalidID(fmt.Sprintf("the id is %d characters long; use at most 200", len(id)))
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:~", r)) {
			return invalidID(fmt.Sprintf("the id %q has the character %q; use letters, digits and - _ . : ~", id, r))
		}
	}
	return nil
}

// invalidID is ErrInvalidID with the reason as its whole message, so a
// command line can show it as it shows its other usage errors.
type invalidID string

func (e invalidID) Error() string        { return string(e) }
func (e invalidID) Is(target error) bool { return target == ErrInvalidID }

// newRunID returns "<definition name>-<6 random base32 characters>": short
// enough to type, unlikely to collide among one definition's runs.
func newRunID(name string) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return name + "-" + string(b)
}

// Attach waits for the run to end and returns its output. A failed run is
// a *RunError; an unknown one ErrNotFound.
func (c *Client) Attach(ctx context.Context, id string) (json.RawMessage, error) {
	return c.output(ctx, id, true)
}

// Output returns the output of a run that has ended: ErrNotFinished when
// it has not, a *RunError when it failed, ErrNotFound for an unknown run.
func (c *Client) Output(ctx context.Context, id string) (json.RawMessage, error) {
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	return c.output(ctx, id, false)
}

func (c *Client) output(ctx context.Context, id string, wait bool) (json.RawMessage, error) {
	handle := ingress.WorkflowHandle[json.RawMessage](c.ingress, interpreter.WorkflowService, id)
	var (
		out json.RawMessage
		err error
	)
	if wait {
		out, err = handle.Attach(ctx)
	} else {
		out, err = handle.Output(ctx)
	}
	var (
		notFound *ingress.InvocationNotFoundError
		notReady *ingress.InvocationNotReadyError
	)
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &notFound):
		return nil, &NotFoundError{What: "run", Name: id}
	case errors.As(err, &notReady):
		return nil, fmt.Errorf("run %q: %w", id, ErrNotFinished)
	case restate.IsTerminalError(err):
		t := restate.AsTerminalError(err)
		return nil, c.runError(ctx, id, int(t.Code()), t.Message())
	}
	return nil, c.unreachable(err)
}

// runError is the failure of run id: the ingress gives its code and
// message; the journal adds the step and the error code, when Restate
// still keeps it.
func (c *Client) runError(ctx context.Context, id string, code int, message string) *RunError {
	e := &RunError{WorkflowID: id, Code: code, Message: message}
	inv, err := runstatus.LookupRun(ctx, c.admin, id)
	if err != nil {
		return e
	}
	if f, err := runstatus.ReadFailure(ctx, c.admin, inv.ID); err == nil && f != nil {
		e.Step, e.ErrorCode = f.Step, f.ErrorCode
	}
	return e
}

// Status returns the status of the run: its state and each step's, as
// `reaflow status` shows them.
func (c *Client) Status(ctx context.Context, id string) (*Run, error) {
	run, err := runstatus.Fetch(ctx, c.admin, id)
	return run, runNotFound(err, id)
}

// runNotFound makes the status reader's unknown run ErrNotFound.
func runNotFound(err error, id string) error {
	if errors.Is(err, runstatus.ErrNotFound) || errors.Is(err, runstatus.ErrNoInvocation) {
		return &NotFoundError{What: "run", Name: id}
	}
	return err
}

// pollInterval is how often Watch reads a run's status.
const pollInterval = 200 * time.Millisecond

// visibleWithin is how long a run just submitted may take to show in the
// admin API; Watch waits that long for an unknown run to appear.
const visibleWithin = 10 * time.Second

// Watch follows the run until it ends and returns its last status,
// calling each (when not nil) with every status it reads on the way. A
// run is read again every 200ms; what did not change since the last read
// (a finished child invocation's journal, the compiled definition) is not
// read again.
func (c *Client) Watch(ctx context.Context, id string, each func(*Run)) (*Run, error) {
	reader := runstatus.NewReader(c.admin)
	deadline := time.Now().Add(visibleWithin)
	for {
		run, err := reader.Fetch(ctx, id)
		switch {
		case errors.Is(err, runstatus.ErrNotFound) && time.Now().Before(deadline):
		case err != nil:
			return nil, runNotFound(err, id)
		default:
			if each != nil {
				each(run)
			}
			if run.Finished() {
				return run, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// ListOptions select and page the runs List returns. Every field that is
// set narrows the selection.
type ListOptions struct {
	// State is Done, Failed or Running; Running selects every run that
	// has not ended (waiting, retrying and compensating ones too).
	State State
	// Definition is the name of the definition the runs interpret.
	Definition string
	// IDPrefix is how the runs' workflow ids start.
	IDPrefix string
	// CreatedAfter and CreatedBefore bound when the runs started.
	CreatedAfter, CreatedBefore time.Time
	// Limit is the most runs in one page; 20 when zero.
	Limit int
	// PageToken continues a listing where the page that returned it
	// ended.
	PageToken string
}

// RunPage is one page of runs, newest first.
type RunPage struct {
	Runs []*Run
	// NextPageToken continues the listing (ListOptions.PageToken); empty
	// on the last page.
	NextPageToken string
}

// definitionScan bounds how many runs one page of a listing by definition
// reads the status of: the definition is in each run's journal, not in
// what Restate can select runs by, so a busy server would otherwise have
// a page read every run it keeps.
const definitionScan = 500

// definitionBatch is how many runs a listing by definition reads the
// status of at a time.
const definitionBatch = 100

// List returns a page of runs, newest first, with each run's status.
// Filtering by definition reads at most 500 runs per page, so a page may
// hold fewer runs than Limit and still have a NextPageToken.
func (c *Client) List(ctx context.Context, opts ListOptions) (*RunPage, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = 20
	}
	f := runstatus.RunFilter{IDPrefix: opts.IDPrefix, CreatedAfter: opts.CreatedAfter, CreatedBefore: opts.CreatedBefore}
	yes, no := true, false
	switch opts.State {
	case "":
	case Done:
		f.Finished, f.Succeeded = &yes, &yes
	case Failed:
		f.Finished, f.Succeeded = &yes, &no
	case Running:
		f.Finished = &no
	default:
		return nil, fmt.Errorf("list runs by state %s, %s or %s, not %q", Done, Failed, Running, opts.State)
	}
	if opts.PageToken != "" {
		cursor, err := decodePageToken(opts.PageToken)
		if err != nil {
			return nil, err
		}
		f.Before = cursor
	}
	// One more than a page tells whether there is a next one.
	scan := limit + 1
	if opts.Definition != "" {
		scan = max(scan, definitionScan)
	}
	listed, err := runstatus.ListRuns(ctx, c.admin, f, scan)
	if err != nil {
		return nil, err
	}
	// The runs are read in batches of a few queries each: a page's runs
	// in one, and by definition, until the page is full, definitionBatch
	// at a time.
	reader := runstatus.NewReader(c.admin)
	page := &RunPage{Runs: []*Run{}}
	for rest := listed; len(rest) > 0 && page.NextPageToken == ""; {
		n := limit - len(page.Runs)
		if opts.Definition != "" {
			n = max(n, definitionBatch)
		}
		batch := rest[:min(n, len(rest))]
		rest = rest[len(batch):]
		runs, err := reader.FetchListed(ctx, batch)
		if err != nil {
			return nil, err
		}
		for i, run := range runs {
			if len(page.Runs) == limit {
				page.NextPageToken = pageToken(batch[i-1].Cursor)
				break
			}
			if opts.Definition == "" || run.Definition == opts.Definition {
				page.Runs = append(page.Runs, run)
			}
		}
		if len(page.Runs) == limit && page.NextPageToken == "" && len(rest) > 0 {
			page.NextPageToken = pageToken(batch[len(batch)-1].Cursor)
		}
	}
	if page.NextPageToken == "" && len(listed) == scan {
		page.NextPageToken = pageToken(listed[len(listed)-1].Cursor)
	}
	return page, nil
}

// pageToken encodes the place of the last run a page looked at.
func pageToken(c runstatus.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.CreatedAt + "\x00" + c.WorkflowID))
}

func decodePageToken(token string) (*runstatus.Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	at, id, ok := strings.Cut(string(raw), "\x00")
	if err != nil || !ok {
		return nil, fmt.Errorf("page token %q is not one List returned", token)
	}
	return &runstatus.Cursor{CreatedAt: at, WorkflowID: id}, nil
}

// Cancel asks Restate to cancel the run and returns the id of its
// invocation. The run stops at its current step and runs its
// compensations before it ends (failed), which Watch or Attach can wait
// for. A run that has already ended is an ErrFinished error.
func (c *Client) Cancel(ctx context.Context, id string) (invocationID string, err error) {
	if err := ValidateID(id); err != nil {
		return "", err
	}
	inv, err := runstatus.LookupRun(ctx, c.admin, id)
	switch {
	case err != nil:
		return "", runNotFound(err, id)
	case inv.Completed():
		return "", &FinishedError{Invocation: *inv, State: inv.Outcome()}
	}
	err = c.admin.CancelInvocation(ctx, inv.ID)
	switch {
	case errors.Is(err, admin.ErrInvocationCompleted):
		return "", &FinishedError{Invocation: *inv}
	case errors.Is(err, admin.ErrInvocationNotFound):
		return "", &NotFoundError{What: "run", Name: id}
	case err != nil:
		return "", err
	}
	return inv.ID, nil
}
