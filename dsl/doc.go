// Package dsl loads reaflow workflow definitions: JSON files that list the
// steps of a workflow. Load checks a definition and compiles it, once, into
// an immutable Program that the interpreter walks; nothing is parsed or
// compiled while a run executes. This package knows nothing of Restate.
//
// # Definitions
//
// A definition is a JSON object:
//
//	{
//	  "$schema": "../dsl/schema/workflow.schema.json",
//	  "name": "order-fulfillment",
//	  "version": "1.0.0",
//	  "input": { "type": "object", "required": ["orderId", "amount"] },
//	  "steps": [
//	    { "id": "charge", "activity": "charge",
//	      "with": { "amount": "${ input.amount }" },
//	      "retry": { "maxAttempts": 4, "initialInterval": "100ms", "maxInterval": "2s", "backoffFactor": 2 } },
//	    { "id": "ship", "activity": "ship", "when": "input.amount > 0",
//	      "with": { "orderId": "${ input.orderId }" }, "dedup": "'ship:' + input.orderId" },
//	    { "id": "label", "set": { "subject": "Order ${ input.orderId } shipped" } }
//	  ],
//	  "output": { "tracking": "${ steps.ship.output.trackingNumber }", "subject": "${ vars.subject }" }
//	}
//
// Its JSON Schema (Schema, also dsl/schema/workflow.schema.json) documents
// every field; editors use it through "$schema". "input" is itself a JSON
// Schema (draft 2020-12, formats asserted, no remote references) that
// Program.ValidateInput checks a run's input against.
//
// # Steps
//
// Steps run in order. Each has an id, unique in the definition, and
// exactly one kind:
//
//   - activity: calls the registered activity of that name with the
//     rendered "with" template as input. "retry" tunes retries (Go
//     duration syntax for intervals); "dedup" is an expression giving a
//     string key, and the step then runs at most once per key across all
//     workflows.
//   - set: assigns variables, each a template, visible to later steps as
//     vars.<name>.
//
// A step may have "when", a boolean expression: when it is false (or null)
// the step is skipped and has no output.
//
// # Expressions and templates
//
// Expressions are written in expr (https://expr-lang.org). They see:
//
//	input              the run's input
//	steps.<id>.output  the output of an earlier step (nil if it was skipped)
//	vars.<name>        a variable set by an earlier set step
//	workflow.id        the run's workflow id
//
// "when" and "dedup" are bare expressions. In templates ("with", the values
// of "set", "output") any JSON value is allowed, and strings hold
// expressions inside ${ }: a string that is exactly "${ expr }" yields the
// expression's value with its type (number, object, ...); text around
// ${ } makes the string an interpolation, where strings appear as they
// are, numbers as JSON writes them (3, not 3.0) and other values as compact
// JSON. "$${" is a literal "${".
//
// Load checks what it can before any run: syntax, names (a typo such as
// inptu is an error with a suggestion), that steps.<id> names a step that
// runs before the one using it (the output may use every step), and that
// vars.<name> is set by an earlier step.
//
// # Determinism
//
// A Restate run may be replayed, and a replay must make the same decisions.
// Expressions are therefore pure functions of their Env: the builtins that
// read the clock or the time zone database (now, date, timezone) are
// removed, and keys, values and toPairs return map entries in sorted key
// order instead of Go's random map order. Time and randomness must come
// from the input or from an activity's (journaled) output.
//
// # Limits
//
// Definitions come from whoever may submit a run, and the server compiles
// and evaluates them in its own process, so every cost is bounded, each
// limit with a default and an Option: the definition's size (WithMaxSize,
// 1 MiB) and nesting (WithMaxDepth, 128 levels, which also bounds inputs
// and signal payloads), an expression's syntax tree (WithMaxExprNodes,
// 10000 nodes; its source is at most 8 KiB and a definition has at most
// 10000 expressions), the work and memory of one evaluation
// (WithEvalBudget, 64 MiB, roughly: see ErrEvalLimit) and the size of one
// value an expression or template produces (WithMaxValueSize, 4 MiB as
// JSON). An evaluation past a limit fails with an *EvalError wrapping
// ErrEvalLimit, in well under a second: a loop over a loop, a string
// doubled in a reduce, toJSON of a value whose parts are shared, all are
// charged for what they do (see guard.go), deterministically, so a replay
// fails where the first run did. Numbers, in definitions, inputs and
// payloads alike, must fit a float64 and are at most 400 characters long,
// with an exponent between -400 and 400; duplicate object keys are refused.
//
// # Errors
//
// Load reports every problem at once as an ErrorList, up to 1000 of them
// and then how many more there are; a syntax error or an oversized file
// stops the checks early. Each Error has the file, a JSON pointer
// (/steps/2/activity), a 1-based line and column (the column counts
// characters), a message, and a Snippet showing the line with a caret.
// Errors inside expressions point at the offending character of the
// expression. Evaluation errors at run time are *EvalError, naming the
// pointer and the expression.
//
// # Identity
//
// Program.Canonical is the definition with sorted keys and no insignificant
// whitespace (numbers kept as written, "$schema" left out) and Program.Hash
// its SHA-256: reformatting a file does not change its hash, changing any
// value does. Load(Canonical) yields the same Program.
package dsl
