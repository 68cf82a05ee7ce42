// Package activities holds the registry of named activity functions that
// reaflow steps call, the context each call receives, the error type that
// tells retryable failures from terminal ones. The built-in activities
// (charge, refund, ship, cancelShipment, email, book, cancelBooking, http)
// are in the package builtin beneath it.
//
// An activity is a plain Go function. The interpreter runs each call inside a
// journaled Restate Run, so an activity may be called more than once for the
// same step (a crash after the effect but before the journal entry was
// acknowledged re-runs it). Every call therefore carries an idempotency key
// that is stable across retries and replays; activities that cause effects
// must hand it to the system they call (the built-ins send it as the
// Idempotency-Key header).
//
// Registration is explicit: build a Registry, Register typed functions on it,
// and pass it to the interpreter. There are no init-time globals.
package activities
