// Package runstatus reports the progress of a reaflow run from Restate's
// own records: the invocation row in sys_invocation and the journal in
// sys_journal, read through the admin API's SQL endpoint.
//
// The interpreter writes nothing extra for status: an activity step is one
// journaled Run named by its step id (or one call to the dedup object,
// whose journaled parameter names the step), and the definition is in the
// run's journaled input. Reading them back costs the run nothing, which is
// why status lives here and not in a handler that the run would have to
// feed with a state write per step.
//
// A journal is kept for the invocation's journal retention after the run
// ends (one day by default); after that, status reports the run's result
// without its steps.
package runstatus
