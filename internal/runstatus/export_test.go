package runstatus

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
)

// ExplainJournal reads the journal rows of one invocation of a run (the
// run's own, a block's, a dedup object's, a Signal or Await handler's) as
// status reads them, and places each entry in the run's definition by the
// names of package journalname. runInput is the entry_json of the run's
// input entry; runID is its workflow id. It returns what each placed entry
// is ("Run: compensation", ...) and a line for each entry it cannot place.
func ExplainJournal(runInput, runID string, rows []map[string]any) (explained, unexplained []string, err error) {
	p, err := NewReader(nil).program("", runInput)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, nil, fmt.Errorf("the run's definition does not load")
	}
	j := newJournal()
	for _, row := range rows {
		cmds, deadline := len(j.cmds), j.deadline
		if err := j.parse(row, reaflowServices); err != nil {
			return nil, nil, fmt.Errorf("journal entry %v: %w", row["index"], err)
		}
		entryType := str(row["entry_type"])
		what := ""
		switch {
		case len(j.cmds) > cmds:
			what = p.explain(&j.cmds[cmds], runID, entryType)
		case entryType == "Command: Sleep" && j.deadline != deadline && p.prog.Timeout > 0:
			what = "timer: workflow timeout"
		case entryType == "Command: CompletePromise":
			what = p.explainPromise(str(row["entry_json"]))
		case entryType == "Command: Run", entryType == "Command: Sleep", entryType == "Command: GetPromise",
			entryType == "Command: Call", entryType == "Command: OneWayCall":
			// An entry of a kind status reads that it made nothing of.
		case strings.HasPrefix(entryType, "Notification: "), entryType == "Command: Input", entryType == "Command: Output",
			strings.HasSuffix(entryType, "State"), entryType == "Command: SendSignal":
			continue // no name to place
		}
		if what == "" {
			unexplained = append(unexplained, fmt.Sprintf("entry %v: %s named %q: %s", row["index"], entryType, str(row["name"]), str(row["entry_lite_json"])))
			continue
		}
		explained = append(explained, what)
	}
	return explained, unexplained, nil
}

// explain says what a command is in the run's definition, or "" when it
// names nothing there.
func (p *plan) explain(c *command, runID, entryType string) string {
	switch c.kind {
	case cmdRun, cmdSleep:
		n := p.nodes[c.entry.Step]
		if n == nil && c.entry.Kind != journalname.Clock {
			return ""
		}
		switch c.entry.Kind {
		case journalname.Activity:
			if _, ok := n.step.(*dsl.ActivityStep); ok {
				return "Run: activity"
			}
		case journalname.Compensation:
			if s, ok := n.step.(*dsl.ActivityStep); ok && s.Compensate != nil && len(c.entry.Indexes) == p.foreachDepth(n) {
				return "Run: compensation"
			}
		case journalname.Clock:
			if p.sleepUntil(p.top, 0) != "" {
				return "Run: clock"
			}
		case journalname.Sleep:
			if _, ok := n.step.(*dsl.SleepStep); ok {
				return "timer: sleep"
			}
		case journalname.Timeout:
			if n.info.Timeout > 0 {
				return "timer: step timeout"
			}
		case journalname.CancelGrace:
			if _, ok := n.step.(*dsl.ActivityStep); ok {
				return "timer: cancel grace"
			}
		}
	case cmdAwait:
		if p.prog.Await(c.signal) != nil {
			return "await: " + entryType
		}
	case cmdBlock:
		if n := p.nodes[c.step]; n != nil && (n.body != nil || branchIndex(n, c.branch) >= 0) {
			return "call: block"
		}
	case cmdDedup:
		if n := p.nodes[c.step]; n != nil {
			if s, ok := n.step.(*dsl.ActivityStep); ok && s.Dedup != nil {
				return "call: dedup"
			}
		}
	case cmdChild:
		if p.workflowStep(runID, c.key) != "" {
			return "call: child run"
		}
	case cmdClaim:
		return "call: redrive claim"
	}
	return ""
}

// foreachDepth is the number of foreach steps around n.
func (p *plan) foreachDepth(n *node) int {
	depth := 0
	for o := n.list.owner; o != nil; o = o.list.owner {
		if _, ok := o.step.(*dsl.ForeachStep); ok {
			depth++
		}
	}
	return depth
}

// explainPromise places the promise a Signal handler completes.
func (p *plan) explainPromise(entryJSON string) string {
	var full struct {
		Command struct {
			CompletePromise struct {
				Key string `json:"key"`
			} `json:"CompletePromise"`
		} `json:"Command"`
	}
	if json.Unmarshal([]byte(entryJSON), &full) != nil {
		return ""
	}
	if signal, ok := journalname.ParseSignalPromise(full.Command.CompletePromise.Key); ok && p.prog.Await(signal) != nil {
		return "signal delivered"
	}
	return ""
}
