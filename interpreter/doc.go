// Package interpreter runs compiled reaflow programs as Restate services. It
// is the only package that defines Restate services:
//
//   - the "Reaflow" workflow, whose Run handler walks a definition and
//     whose shared Signal and Await handlers carry signals;
//   - the "ReaflowBlock" service, which runs parallel branches and groups
//     of foreach items as child invocations of a run;
//   - the "ReaflowDedup" virtual object behind the `dedup` field, keyed by
//     activity and dedup key;
//   - the "ReaflowDefinitions" virtual object, keyed by definition name,
//     which keeps the deployed versions of a definition;
//   - the "ReaflowLineage" virtual object, keyed by the id of a redriven
//     run, which lets one redrive of a run proceed;
//   - the "ReaflowSchedule" virtual object, keyed by schedule name, which
//     fires deployed definitions on a schedule (a fired run reports its
//     own end to it), and the "ReaflowScheduleWatch" service, which tells
//     a schedule when a run it fired ends without reporting (killed, or
//     cancelled before it began).
//
// New returns their definitions for a given activity registry, so any Go
// program can bind them to its own Restate endpoint next to its own
// activities. Only Run, Signal, the registry and the schedules'
// management handlers answer Restate's ingress; the rest are
// ingress-private, and the run policy (WithDeployedOnly and its kin) says
// what callers may run, deploy and schedule.
//
// # Rules the interpreter keeps
//
// Restate replays a handler from its journal after every crash, suspension
// or retry, and the replay must make the same calls in the same order. So
// the code in this package obeys these rules, and changes to it must too:
//
//   - One journaled Run per activity step, named by the step id. The run
//     starts it with restate.RunAsync and waits for it with
//     restate.WaitFirst next to the timers of the deadlines around the
//     step: a timeout ends the wait, and a cancellation leaves the Run's
//     outcome to be read, so that a step that did complete is compensated
//     (journal.go). Restate retries the Run by the options
//     rea.RunConfig.Options builds from the step's retry block, or from
//     WithDefaultRetry without one: attempts, first and largest interval,
//     backoff factor. The Run journals the activity's output as the
//     activity encoded it (rea.RawJSON). A step with dedup is one call to
//     the dedup object instead, whose handler runs the same Run with
//     rea.RunWithRetry. Nothing is written for status: progress is read
//     from Restate's own journal (see the CLI's status), by the entry
//     names that internal/journalname declares for the interpreter and
//     status alike.
//   - Decisions come only from the pinned definition, the run's input and
//     journaled results. No wall-clock time (sleep until reads the time
//     through a journaled Run), no randomness but Restate's (restate.UUID,
//     restate.Rand), no iteration over Go maps where order matters, no
//     goroutines on the Restate context: concurrency is child invocations
//     and timers awaited with Restate futures (WaitFirst, WaitIter), whose
//     order of completion the journal records.
//   - Every Restate operation goes through the journal interface
//     (journal.go), so what a run journals is listed in one place.
//   - A block invocation never fails for a step's failure: the failure
//     travels in its result with the compensations of the steps that
//     completed, so the run can undo them. Compensations run in reverse
//     order of completion, each a journaled Run with its own key.
//   - Expressions are pure: dsl compiles them once without clock or random
//     builtins, and they only see the run's data.
//   - The definition travels in the run's input, so it is journaled with
//     the run and a run interprets one definition from start to end.
//   - Bad definitions and inputs are rejected with a terminal error (code
//     400) before any step runs, and so are definitions the run policy
//     refuses (403): the policy is decided when the run starts, by the
//     endpoint's options and a journaled call to the registry, so a replay
//     admits the run as its first attempt did.
//   - Every value passed through Restate is checked against a limit below
//     Restate's message limit before it is sent or journaled (limits.go),
//     so that an oversized one fails its step clearly instead of being
//     refused by the server and retried forever.
//   - Errors decide retries in one place (terminal.go): an activity's
//     terminal error ends the step without retry, anything else is retried
//     by Restate. No recover(): Restate suspends a handler by panicking
//     through it.
package interpreter
