// Package client is the Go API for talking to Restate about reaflow runs:
// starting them, following them to their output, reading their status,
// listing them, signalling them, completing their callbacks, cancelling
// them, and deploying definitions to start them by name. The reaflow CLI
// is built on it; an application that starts and watches runs (a
// checkout service starting order-fulfillment) uses it the same way.
//
//	c, err := client.New("http://127.0.0.1:8080", "http://127.0.0.1:9070")
//	sent, err := c.Submit(ctx, client.SubmitRequest{Deployed: "order-fulfillment@1.0.0", Input: input, ID: "order-" + orderID})
//	out, err := c.Attach(ctx, sent.ID)
//
// # Addresses
//
// A Client talks to Restate's ingress (runs, signals, callbacks, outputs,
// deployed definitions) and its admin API (status, listings,
// cancellation). Each address may be several comma-separated URLs, the
// nodes of a cluster: a request goes to the node that answered last and
// moves on to the next only when it cannot have been processed, and
// Submit sends a run again while the cluster fails over. Submitting
// twice with one workflow id starts one run: the id is the run's
// idempotency key, so a caller that lost an answer submits again.
//
// # Errors
//
// Errors wrap and match with errors.Is and errors.As:
//   - ErrNotFound (*NotFoundError): an unknown run, callback or
//     definition.
//   - *RunError: a run's failure, with its code, the failing step and the
//     activity's error code, from Attach and Output.
//   - ErrFinished (*FinishedError): a signal, callback completion or
//     cancellation for a run that has already ended.
//   - ErrRefused (*RefusedError): a request the run or Restate turned
//     down, such as a signal no await step takes.
//   - ErrCannotRedrive: a run that cannot be redriven (still running,
//     completed, redriven already, compensated); an unknown run's is
//     ErrNotFound as well.
//   - ErrNotFinished: Output of a run still going.
//   - ErrInvalidID: a workflow id that cannot be used.
//   - *UnreachableError: no answer from Restate at all.
//
// # Status
//
// Status, Watch and List return a run's status as `reaflow status`
// shows it, read from Restate's own records: the run's invocation and
// journals (see the Run type). The run writes nothing extra for it.
package client
