// Package bench measures what the reaflow interpreter costs over
// hand-written Restate code doing the same work, for cmd/reaflow-bench.
//
// The workload is K sequential activity steps calling one no-op activity
// (Noop), so that nothing but the machinery is measured: the server's
// journaling, the HTTP/2 round trips and the SDK's state machine, which
// both sides pay, plus whatever the interpreter adds. It runs in four
// variants (Variant): the hand-written Baseline workflow, and the
// interpreter on generated definitions that are Plain, Templated (a true
// `when` guard and `${}` templates on every step) or Dedup (a dedup key on
// every step). Every variant sends the activity the same input bytes and
// returns the same output, which the tests check.
//
// A closed-loop generator (Drive) keeps C workflows in flight, each
// waiting for its result before the next starts. On a shared, noisy
// machine only ratios taken close together in time mean anything, so
// Settings.Plan interleaves the variants point by point and repeats each
// point, and Aggregate compares every repetition with the baseline of the
// same repetition and reports medians.
package bench
