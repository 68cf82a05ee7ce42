package client

import (
	"context"
	"encoding/json"

	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/interpreter"
)

// RunDetails is what a run was started with and what its steps returned,
// read from its journal: what a person opening one run looks at beside
// its status (the reaflow console's run page).
type RunDetails struct {
	// Status is the run's status, as Status returns it.
	Status *Run
	// Definition is the text of the definition the run pinned, and File
	// the name it was submitted under.
	Definition string
	File       string
	// Input is the run's input.
	Input json.RawMessage
	// Outputs holds the JSON outputs of the steps that completed, by step
	// path: "charge", a foreach item's "lines[3]/ship". A run with a
	// 1,000-item foreach has an entry per item step; callers that show
	// one step pick theirs.
	Outputs map[string]json.RawMessage
	// Redrive is the lineage and key generations of a run that redrives
	// another; nil for a new run.
	Redrive *interpreter.Redrive
}

// Details reads the run's journal: its input, pinned definition and the
// outputs of its completed steps. An unknown run is ErrNotFound. A run
// whose journal Restate no longer keeps has only its Status.
func (c *Client) Details(ctx context.Context, id string) (*RunDetails, error) {
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	rd, err := runstatus.ReadRedrivable(ctx, c.admin, id)
	if err != nil {
		return nil, runNotFound(err, id)
	}
	return &RunDetails{
		Status:     rd.Run,
		Definition: rd.Request.Definition,
		File:       rd.Request.File,
		Input:      rd.Request.Input,
		Outputs:    rd.Reuse,
		Redrive:    rd.Request.Redrive,
	}, nil
}

// StepKey is the idempotency key the activity step at path (a step
// path, as in Outputs) sends its provider: derived from the run's id, or
// from the first run of its lineage when it redrives one, and the
// redrive generation the step's key belongs to.
func (d *RunDetails) StepKey(path string) string {
	root, generation := d.Status.WorkflowID, 0
	if d.Redrive != nil {
		root, generation = d.Redrive.Root, d.Redrive.Keys[path]
	}
	loops, id, err := interpreter.ParseStepPath(path)
	if err != nil {
		// Not a step path: no step sends a key for it.
		return ""
	}
	return interpreter.StepKey(root, loops, id, generation)
}
