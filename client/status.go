package client

import "github.com/reaflow/reaflow/internal/runstatus"

// The status of a run is the one that `reaflow status` prints, read from
// Restate's own records (the run's invocation and journals). These names
// are aliases of the types the status reader fills, so that a run's
// status has one shape, in Go and as JSON (`reaflow status --json`),
// rather than a public copy to keep in step with it field by field.
type (
	// Run is the status of one run: its state and its steps'.
	Run = runstatus.Run
	// StepStatus is the status of one step, holding the statuses of the
	// steps inside it (a switch case's, a catch handler's).
	StepStatus = runstatus.StepStatus
	// BranchStatus is one branch of a parallel step.
	BranchStatus = runstatus.BranchStatus
	// ItemCounts sums up a foreach step's items.
	ItemCounts = runstatus.ItemCounts
	// ItemError is the failure of one foreach item.
	ItemError = runstatus.ItemError
	// State is where a step or a run is.
	State = runstatus.State
	// Invocation is one Restate invocation: a run's, or the one that
	// created a callback.
	Invocation = runstatus.Invocation
)

// The states of runs and steps.
const (
	Pending            = runstatus.Pending
	Running            = runstatus.Running
	Retrying           = runstatus.Retrying
	Done               = runstatus.Done
	Failed             = runstatus.Failed
	Skipped            = runstatus.Skipped
	Waiting            = runstatus.Waiting
	Caught             = runstatus.Caught
	Cancelled          = runstatus.Cancelled
	Compensating       = runstatus.Compensating
	Compensated        = runstatus.Compensated
	CompensationFailed = runstatus.CompensationFailed
)
