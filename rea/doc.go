// Package rea holds small helpers for anyone writing Restate Go code: a retry
// configuration mapped onto Restate's native Run retry options, stable
// idempotency key derivation, deterministic helpers backed by Restate's
// journaled randomness, and a virtual object that runs a function at most
// once per key across all callers.
//
// Nothing here sleeps, loops or spawns goroutines inside a Run: retries are
// Restate's, so they survive crashes and show up in the journal.
package rea
