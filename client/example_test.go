package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/reaflow/reaflow/client"
)

// Start a run and wait for its output.
func ExampleClient_Submit() {
	ctx := context.Background()
	c, err := client.New(ingressURL, adminURL)
	if err != nil {
		panic(err)
	}
	sent, err := c.Submit(ctx, client.SubmitRequest{
		Definition: []byte(hello),
		File:       "hello.json",
		Input:      json.RawMessage(`{"name": "ada"}`),
		ID:         "example-submit",
	})
	if err != nil {
		panic(err)
	}
	out, err := c.Attach(ctx, sent.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output: {"greeting":"hello ada"}
}

// A run's failure is a *client.RunError naming the failing step.
func ExampleRunError() {
	ctx := context.Background()
	c, err := client.New(ingressURL, adminURL)
	if err != nil {
		panic(err)
	}
	sent, err := c.Submit(ctx, client.SubmitRequest{Definition: []byte(declined), ID: "example-declined"})
	if err != nil {
		panic(err)
	}
	_, err = c.Attach(ctx, sent.ID)
	var failed *client.RunError
	if errors.As(err, &failed) {
		fmt.Println(failed.Step, failed.ErrorCode)
	}
	// Output: pay card_declined
}

// Follow a run's steps, then send the signal it waits for.
func ExampleClient_Signal() {
	ctx := context.Background()
	c, err := client.New(ingressURL, adminURL)
	if err != nil {
		panic(err)
	}
	sent, err := c.Submit(ctx, client.SubmitRequest{Definition: []byte(approval), ID: "example-signal"})
	if err != nil {
		panic(err)
	}
	signalled := false
	run, err := c.Watch(ctx, sent.ID, func(run *client.Run) {
		if run.State == client.Waiting && !signalled {
			fmt.Println("waiting for", run.WaitingFor)
			signalled = c.Signal(ctx, sent.ID, "approve", json.RawMessage(`{"by": "ana"}`)) == nil
		}
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(run.State)
	err = c.Signal(ctx, sent.ID, "approve", json.RawMessage(`{"by": "bo"}`))
	fmt.Println(errors.Is(err, client.ErrFinished))
	// Output:
	// waiting for signal approve
	// done
	// true
}

// List the runs that failed, a page at a time.
func ExampleClient_List() {
	ctx := context.Background()
	c, err := client.New(ingressURL, adminURL)
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"example-list-1", "example-list-2"} {
		if _, err := c.Submit(ctx, client.SubmitRequest{Definition: []byte(declined), ID: id}); err != nil {
			panic(err)
		}
		_, _ = c.Attach(ctx, id) // fails: the card is declined
	}
	opts := client.ListOptions{State: client.Failed, IDPrefix: "example-list-", Limit: 1}
	for {
		page, err := c.List(ctx, opts)
		if err != nil {
			panic(err)
		}
		for _, run := range page.Runs {
			fmt.Println(run.WorkflowID, run.State)
		}
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	// Output:
	// example-list-2 failed
	// example-list-1 failed
}

// Redrive a failed run once the cause is fixed: the steps it completed are
// reused, not called again, and the rest runs.
func ExampleClient_Redrive() {
	ctx := context.Background()
	c, err := client.New(ingressURL, adminURL)
	if err != nil {
		panic(err)
	}
	sent, err := c.Submit(ctx, client.SubmitRequest{Definition: []byte(reservation), Input: json.RawMessage(`{"item": "lamp"}`), ID: "example-redrive"})
	if err != nil {
		panic(err)
	}
	_, err = c.Attach(ctx, sent.ID)
	var failed *client.RunError
	if errors.As(err, &failed) {
		fmt.Println("failed at", failed.Step, failed.ErrorCode)
	}

	restock("lamp") // the cause is fixed
	plan, err := c.Redrive(ctx, sent.ID, client.RedriveOptions{})
	if err != nil {
		panic(err)
	}
	for _, step := range plan.Steps {
		fmt.Printf("%s: reused %d, new keys %d\n", step.Path, step.Reused, step.NewKeys)
	}
	out, err := c.Attach(ctx, plan.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(plan.ID, string(out))

	_, err = c.Redrive(ctx, sent.ID, client.RedriveOptions{})
	fmt.Println(errors.Is(err, client.ErrCannotRedrive))
	// Output:
	// failed at hold sold_out
	// hi: reused 1, new keys 0
	// hold: reused 0, new keys 1
	// bye: reused 0, new keys 0
	// example-redrive-redrive-1 {"bye":"hello res-lamp","hi":"hello lamp"}
	// true
}
