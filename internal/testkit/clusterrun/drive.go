package clusterrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/failover"
	"github.com/reaflow/reaflow/interpreter"
)

// outcome is what the driver saw of one run.
type outcome struct {
	// accepted is when Restate took the run, done when its output came.
	accepted, done time.Time
	output         json.RawMessage
	err            error
	// sendRetries and attachRetries count the requests sent again after
	// Restate was unavailable; conflicts the 409 answers to a send, after
	// which the driver attaches to the run.
	sendRetries, attachRetries, conflicts int
}

// giveUp bounds how long the driver keeps asking about one run while
// Restate is unavailable: far longer than a failover, so a run that gets
// no answer by then is lost.
const giveUp = 2 * time.Minute

// drive runs the jobs through the ingress at ingressURL, at most
// concurrency at a time: each is sent, then attached to until its output
// comes. completed counts the runs that finished, for whoever waits for
// progress.
func drive(ctx context.Context, ingressURL string, jobs []*job, concurrency int, completed *atomic.Int64) {
	client := ingress.NewClient(ingressURL)
	next := make(chan *job)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for j := range next {
				runJob(ctx, client, j)
				completed.Add(1)
			}
		})
	}
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
}

func runJob(ctx context.Context, client *ingress.Client, j *job) {
	input, _ := json.Marshal(j.input)
	req := interpreter.RunRequest{Definition: j.kind.definition, Input: input, File: j.kind.name + ".json"}
	if j.err = retry(ctx, &j.sendRetries, func() error {
		_, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](client, interpreter.WorkflowService, j.id, "Run").Send(ctx, req)
		var answer ingress.Error
		if errors.As(err, &answer) && answer.Code() == http.StatusConflict {
			// During a failover Restate can answer 409 "already invoked"
			// to a send whose run goes on: attach to it.
			j.conflicts++
			return nil
		}
		return err
	}); j.err != nil {
		j.err = fmt.Errorf("send: %w", j.err)
		return
	}
	j.accepted = time.Now()
	j.err = retry(ctx, &j.attachRetries, func() error {
		out, err := ingress.WorkflowHandle[json.RawMessage](client, interpreter.WorkflowService, j.id).Attach(ctx)
		j.output = out
		return err
	})
	if j.err != nil {
		if restate.IsTerminalError(j.err) {
			j.err = fmt.Errorf("the run failed: %w", j.err)
		} else {
			j.err = fmt.Errorf("attach: %w", j.err)
		}
		return
	}
	j.done = time.Now()
}

// retry calls f until it succeeds, fails for good, or Restate has been
// unavailable for giveUp; retries counts the calls after the first.
func retry(ctx context.Context, retries *int, f func() error) error {
	start := time.Now()
	for {
		err := f()
		if err == nil || ctx.Err() != nil || !failover.Unavailable(err) && !unready(err) || time.Since(start) > giveUp {
			return err
		}
		*retries++
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unready tells whether err is an ingress answer that a cluster gives
// while it settles (no partition leader yet, the invocation not yet
// known to the node asked), rather than a verdict on the run.
func unready(err error) bool {
	var notFound *ingress.InvocationNotFoundError
	var answer ingress.Error
	return errors.As(err, &notFound) || errors.As(err, &answer) && !answer.IsInvocationError() && int(answer.Code()) == http.StatusServiceUnavailable
}
