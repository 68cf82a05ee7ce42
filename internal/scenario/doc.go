// Package scenario runs workflow definitions against scenario files, the
// `reaflow test` command's input: a definition, and scenarios that each
// give an input, mocks for the activities, signals and callbacks to send,
// and what the run must do (its output or failure, the steps it calls and
// compensates in order, their attempts and idempotency keys).
//
// A scenario runs for real: on a restate-server of its own, through the
// interpreter, with an endpoint whose activity registry holds a mock for
// every activity the definition calls. What the run did is read from the
// mocks, since every call tells them its run, step, step path and
// idempotency key; that is simpler and sturdier than reading it back from
// Restate's journal, and it sees exactly what providers would see.
//
// Load checks a file against the embedded JSON Schema (Schema) and then
// against the definition it names, and reports every problem located by
// file, line:column and JSON pointer, as dsl reports the problems of a
// definition.
package scenario
