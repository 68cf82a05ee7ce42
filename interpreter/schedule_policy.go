package interpreter

import (
	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
)

// authorizeDeploy is the protection of changes to what an endpoint runs:
// deploying a definition and changing a schedule. It is the hook for the
// endpoint's deploy token; until the endpoint has one, anyone who can call
// Restate's ingress may deploy and schedule.
func (in *interpreter) authorizeDeploy(restate.Context) error { return nil }

// admitScheduled is the run policy's verdict on scheduling prog, given at
// create and update so a schedule that could never run is refused; each
// fired run passes the policy again in Run like any other run.
func (in *interpreter) admitScheduled(*dsl.Program) error { return nil }
