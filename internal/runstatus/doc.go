// Package runstatus reports the progress of a reaflow run from Restate's
// own records: the invocation rows in sys_invocation and the journals in
// sys_journal, read through the admin API's SQL endpoint.
//
// The interpreter writes nothing extra for status. Every step's journal
// entries are named after its step id, by the names package journalname
// declares for the interpreter and status alike: an activity step is one
// Run (or one call to the dedup object, whose parameter names the step), a
// sleep step a timer, an await step the signal's promise (or, in a block,
// a call to the run's Await handler), a step's timeout a timer, a
// compensation a Run. The definition is in the run's journaled input. So
// the journal, read alongside the definition, places every entry, and
// reading it costs the run nothing: that is why status lives here and not
// in a handler the run would have to feed with a state write per step.
//
// The steps of a switch case and of a catch handler are in the journal of
// the invocation that runs the switch or the step. A parallel branch, or a
// group of foreach items, runs as a child invocation of the ReaflowBlock
// service; the call to it in the parent's journal names the step, the
// branch and the items, and the child's invocation id. Status reads the
// children's journals one level at a time; a foreach step is counted from
// its finished children's results (how many items completed, which one
// failed) and from its running children's journals item by item.
//
// A callback's id is not journaled: Restate derives it from the
// invocation id and the callback's index among those the invocation
// created, and status does the same.
//
// A journal is kept for the invocation's journal retention after the run
// ends (one day by default); after that, status reports the run's result
// without its steps.
package runstatus
