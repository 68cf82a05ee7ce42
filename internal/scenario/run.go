package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/endpoint"
	"github.com/reaflow/reaflow/internal/redrive"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/interpreter"
)

// Options configure how scenarios run.
type Options struct {
	// Restate are options of the restate-server each scenario starts.
	Restate []restateserver.Option
	// Logger receives the endpoint's log; nil discards it (the mocks'
	// retryable failures would fill it otherwise).
	Logger *slog.Logger
}

// Run runs the scenario on a restate-server of its own, with an endpoint
// of its own whose registry holds a mock for every activity the definition
// calls, and checks what happened against the scenario's expectations.
// Each scenario has its own server so that nothing carries over between
// scenarios: not the run id, and not the results a dedup step records for
// its key across all runs. A problem running the scenario (the server
// does not start) is reported as a problem of the result, like a failed
// expectation.
func (s *Scenario) Run(ctx context.Context, opts Options) *Result {
	start := time.Now()
	res := &Result{File: s.File.Path, Scenario: s.Name, RunID: s.RunID}
	defer func() { res.Duration = time.Since(start) }()
	rec := newRecorder(s)
	if err := s.run(ctx, opts, rec, res); err != nil {
		res.Problems = append(res.Problems, Problem{Field: "run", Message: err.Error()})
	}
	return res
}

// judge observes the calls the recorder holds into a, and returns the
// problems: how the run went wrong (runErr), what went wrong in the
// mocks, and the expectations it did not meet, each field after prefix.
func (s *Scenario) judge(rec *recorder, a *Actual, e *Expect, runErr error, prefix string) []Problem {
	calls, problems := rec.snapshot()
	a.observe(calls)
	if runErr != nil {
		msg := runErr.Error()
		if a.Status == "unfinished" {
			msg += " (steps called so far: " + orNone(a.Steps) + "): does it wait for a signal or a callback that the scenario does not send?"
		}
		problems = append([]Problem{{Field: "run", Message: msg}}, problems...)
	}
	// An unfinished run has no outcome to compare; the run problem says
	// how far it got.
	if a.Status == "completed" || a.Status == "failed" {
		problems = append(problems, e.check(s, a, calls)...)
	}
	for i := range problems {
		problems[i].Field = prefix + problems[i].Field
	}
	return problems
}

func (s *Scenario) run(ctx context.Context, opts Options, rec *recorder, res *Result) (err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	reg := activities.NewRegistry()
	rec.register(reg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("endpoint: %w", err)
	}
	endpointURL := "http://" + ln.Addr().String()
	serveCtx, stopServing := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- endpoint.Serve(serveCtx, ln, logger, interpreter.New(reg)...) }()
	defer func() {
		stopServing()
		if serveErr := <-served; serveErr != nil && err == nil {
			err = fmt.Errorf("endpoint: %w", serveErr)
		}
	}()

	srv, err := restateserver.Start(ctx, opts.Restate...)
	if err != nil {
		return fmt.Errorf("start restate-server: %w", err)
	}
	// The server goes first, so that it closes its streams to the
	// endpoint, which can then stop at once.
	defer func() {
		if stopErr := srv.Stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("stop restate-server: %w", stopErr)
		}
	}()
	if err := srv.RegisterDeployment(ctx, endpointURL); err != nil {
		return err
	}

	client := ingress.NewClient(srv.IngressURL)
	req := interpreter.RunRequest{Definition: s.File.Definition, Input: s.Input, File: s.File.Program.File}
	runErr := s.runOnce(ctx, client, srv.IngressURL, rec, s.RunID, req, &res.Actual, true)
	res.Problems = append(res.Problems, s.judge(rec, &res.Actual, &s.Expect, runErr, "")...)
	if s.Redrive == nil || res.Actual.Status != "failed" {
		return nil
	}

	// The redrive, as `reaflow redrive` plans it from the failed run's
	// journal.
	res.Redrive = &Actual{}
	plan, err := redrive.Prepare(ctx, srv, s.RunID, redrive.Options{From: s.Redrive.From})
	if err != nil {
		res.Problems = append(res.Problems, Problem{Field: "redrive.run", Message: err.Error()})
		return nil
	}
	res.RedriveID = plan.ID
	rec.redrive(plan.ID)
	runErr = s.runOnce(ctx, client, srv.IngressURL, rec, plan.ID, plan.Request, res.Redrive, false)
	res.Problems = append(res.Problems, s.judge(rec, res.Redrive, &s.Redrive.Expect, runErr, "redrive.")...)
	return nil
}

// runOnce starts the run id with req, sends it the scenario's signals
// and callbacks when actors is set, and fills a with how it ended. An
// error says why there is no end to compare.
func (s *Scenario) runOnce(ctx context.Context, client *ingress.Client, ingressURL string, rec *recorder, id string, req interpreter.RunRequest, a *Actual, actors bool) error {
	if _, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](client, interpreter.WorkflowService, id, "Run").Send(ctx, req); err != nil {
		return fmt.Errorf("start the run: %w", err)
	}

	runCtx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	// Signals and callbacks go out while the run goes on, each when what
	// it waits for has happened; they stop when the run ends.
	actorsCtx, stopActors := context.WithCancel(runCtx)
	var wg sync.WaitGroup
	if actors {
		wg.Add(2)
		go func() { defer wg.Done(); s.sendSignals(actorsCtx, client, rec) }()
		go func() { defer wg.Done(); s.completeCallbacks(actorsCtx, ingressURL, rec) }()
	}

	out, runErr := ingress.WorkflowHandle[json.RawMessage](client, interpreter.WorkflowService, id).Attach(runCtx)
	stopActors()
	wg.Wait()
	switch {
	case runErr == nil:
		a.Status, a.Output = "completed", out
	case restate.IsTerminalError(runErr):
		t := restate.AsTerminalError(runErr)
		a.Status = "failed"
		a.Error = &RunError{Code: errorCode(t), Message: t.Message()}
	case errors.Is(runErr, context.DeadlineExceeded) && ctx.Err() == nil:
		a.Status = "unfinished"
		return fmt.Errorf("the run did not finish within %s", s.Timeout)
	default:
		return fmt.Errorf("wait for the run: %w", runErr)
	}
	return nil
}

// signalTimeout bounds one signal request.
const signalTimeout = 10 * time.Second

// sendSignals sends the scenario's signals in order, each once the step it
// waits for has completed, through the run's Signal handler as `reaflow
// signal` does.
func (s *Scenario) sendSignals(ctx context.Context, client *ingress.Client, rec *recorder) {
	for _, sig := range s.Signals {
		if sig.After != "" {
			if _, err := rec.waitFor(ctx, sig.After); err != nil {
				rec.problem("signals", fmt.Sprintf("signal %s was not sent: step %s never completed", sig.Name, sig.After))
				continue
			}
		}
		req := interpreter.SignalRequest{Name: sig.Name, Payload: sig.Payload}
		for {
			// The request itself outlives the run: a delivered signal can let
			// the run end (and ctx be cancelled) before its answer is read.
			reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), signalTimeout)
			_, err := ingress.Workflow[interpreter.SignalRequest, restate.Void](client, interpreter.WorkflowService, s.RunID, "Signal").Request(reqCtx, req)
			cancel()
			if err == nil {
				break
			}
			// The run keeps its definition for the Signal handler when it
			// starts; until then the handler knows no signals.
			if strings.Contains(err.Error(), "has not started") && ctx.Err() == nil {
				select {
				case <-time.After(20 * time.Millisecond):
					continue
				case <-ctx.Done():
				}
			}
			if ctx.Err() == nil {
				rec.problem("signals", fmt.Sprintf("signal %s was refused: %s", sig.Name, ingressMessage(err)))
			} else {
				rec.problem("signals", fmt.Sprintf("signal %s was not delivered before the run ended", sig.Name))
			}
			break
		}
	}
}

// completeCallbacks resolves or rejects each callback once its step's
// activity has returned the callback id, as `reaflow resolve` and
// `reaflow reject` do.
func (s *Scenario) completeCallbacks(ctx context.Context, ingressURL string, rec *recorder) {
	var wg sync.WaitGroup
	for _, cb := range s.Callbacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call, err := rec.waitFor(ctx, cb.Step)
			if err != nil {
				rec.problem("callbacks", fmt.Sprintf("the callback of step %s was not completed: the step's activity never returned", cb.Step))
				return
			}
			verb, contentType, body := "resolve", "application/json", []byte(cb.Resolve)
			if cb.Reject != nil {
				verb, contentType, body = "reject", "text/plain", []byte(*cb.Reject)
			}
			u := ingressURL + "/restate/awakeables/" + url.PathEscape(call.callbackID) + "/" + verb
			if err := post(ctx, u, contentType, body); err != nil {
				rec.problem("callbacks", fmt.Sprintf("%s the callback of step %s: %v", verb, cb.Step, err))
			}
		}()
	}
	wg.Wait()
}

func post(ctx context.Context, u, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(text)))
	}
	return nil
}

func ingressMessage(err error) string {
	var answer ingress.Error
	if errors.As(err, &answer) {
		return answer.Message()
	}
	return err.Error()
}

// failedCode finds the error code in a failed run's message, which is
// what clients get (Restate's ingress drops the error's metadata): the
// interpreter writes it after the failed step, as in
// `step "car" (activity book) failed: sold_out: ...`. A step whose retries
// ran out has no code of its own; catch handlers see it as "failed", and
// so does a scenario.
var failedCode = regexp.MustCompile(`failed: ([A-Za-z0-9_.-]+): `)

func errorCode(t restate.TerminalError) string {
	if m := failedCode.FindStringSubmatch(t.Message()); m != nil {
		return m[1]
	}
	switch t.Code() {
	case 422:
		return interpreter.CodeExpression
	case 500:
		return dsl.CodeFailed
	}
	return ""
}
