package runstatus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/journalname"
	"github.com/reaflow/reaflow/interpreter"
)

// Redrivable is what redriving a failed run needs of it, read from its
// journal: the request it ran, and the outputs of the steps it completed.
type Redrivable struct {
	// Run is the run's status.
	Run *Run
	// Request is the run's journaled input: its definition, input and, for
	// a run that is itself a redrive, its lineage and what it reused.
	Request interpreter.RunRequest
	// Program is the compiled definition; nil when it does not load.
	Program *dsl.Program
	// Reuse holds the JSON outputs of the steps that completed, by step
	// path (interpreter.StepPath), including those the run reused itself.
	Reuse map[string]json.RawMessage
	// Refused lists the paths of the steps whose activity refused for good
	// (a declined card): the provider holds the refusal under the step's
	// key, so a redrive must send a new one.
	Refused []string
	// Compensated is true when the run's compensations ran: the effects of
	// its completed steps were undone.
	Compensated bool
}

// ReadRedrivable reads what a redrive of the run needs: its status, its
// journaled request, and the outputs of its completed steps. Those of the
// run's own journal come from its Run entries (an activity step's output
// is its Run's result), its dedup calls, timers and promises; those of
// parallel branches and foreach items come from the results of the child
// invocations that ran them, which carry the outputs of what completed
// even when the block failed.
func ReadRedrivable(ctx context.Context, q Querier, workflowID string) (*Redrivable, error) {
	run, err := Fetch(ctx, q, workflowID)
	if err != nil {
		return nil, err
	}
	out := &Redrivable{Run: run, Reuse: map[string]json.RawMessage{}}
	if run.JournalGone {
		return out, nil
	}
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT index, entry_type, name, entry_lite_json, entry_json
		FROM sys_journal WHERE id = %s ORDER BY index`, quote(run.InvocationID)))
	if err != nil {
		return nil, err
	}
	j := newJournal()
	if err := j.add(rows, reaflowServices); err != nil {
		return nil, fmt.Errorf("run %q: %w", workflowID, err)
	}
	for _, row := range rows {
		if str(row["entry_type"]) == "Command: Input" {
			if out.Request, err = requestOf(str(row["entry_json"])); err != nil {
				return nil, fmt.Errorf("run %q: %w", workflowID, err)
			}
			break
		}
	}
	if out.Program, err = dsl.Load(out.Request.File, []byte(out.Request.Definition)); err != nil {
		out.Program = nil
		return out, nil
	}
	if rd := out.Request.Redrive; rd != nil {
		for path, value := range rd.Reuse {
			out.Reuse[path] = value
		}
	}
	out.collect(j)
	return out, nil
}

// requestOf decodes the run's request from its journal input entry.
func requestOf(entryJSON string) (interpreter.RunRequest, error) {
	var full journalRow
	var req interpreter.RunRequest
	if err := json.Unmarshal([]byte(entryJSON), &full); err != nil || full.Command.Input == nil {
		return req, fmt.Errorf("journal input entry: %v", err)
	}
	if err := json.Unmarshal(bytesOf(full.Command.Input.Payload), &req); err != nil {
		return req, fmt.Errorf("journal input: %w", err)
	}
	return req, nil
}

// collect adds the outputs of the steps the run's journal shows
// completed.
func (rd *Redrivable) collect(j *journal) {
	prog := rd.Program
	for _, c := range j.cmds {
		res, done := j.result(c.completion)
		switch c.kind {
		case cmdRun:
			if c.entry.Kind == journalname.Compensation {
				rd.Compensated = true
				continue
			}
			id := c.entry.Step
			step, ok := prog.Step(id).(*dsl.ActivityStep)
			if c.entry.Kind != journalname.Activity || !ok || !done {
				continue
			}
			if res.failed {
				if refused(res.errorCode) {
					rd.Refused = append(rd.Refused, id)
				}
				continue
			}
			if len(step.Catch) == 0 {
				rd.Reuse[id] = jsonOrNull(res.value)
			}
		case cmdDedup:
			var outcome struct {
				Output json.RawMessage `json:"output"`
				Error  any             `json:"error"`
			}
			if done && !res.failed && json.Unmarshal(res.value, &outcome) == nil && outcome.Error == nil {
				if s, ok := prog.Step(c.step).(*dsl.ActivityStep); ok && len(s.Catch) == 0 {
					rd.Reuse[c.step] = jsonOrNull(outcome.Output)
				}
			}
		case cmdSleep:
			s, ok := prog.Step(c.entry.Step).(*dsl.SleepStep)
			if c.entry.Kind == journalname.Sleep && ok && done && !res.failed && len(s.Catch) == 0 {
				rd.Reuse[c.entry.Step] = json.RawMessage("null")
			}
		case cmdAwait:
			if a := prog.Await(c.signal); a != nil && done && !res.failed && res.value != nil && len(a.Catch) == 0 {
				rd.Reuse[a.ID] = jsonOrNull(res.value)
			}
		case cmdBlock:
			if done && res.block != nil {
				rd.collectBlock(c, res)
			}
		}
	}
}

// collectBlock adds the outputs a block's result carries: a branch's
// completed steps, or a group's completed items.
func (rd *Redrivable) collectBlock(c command, res result) {
	var value struct {
		Outputs []map[string]json.RawMessage `json:"outputs"`
	}
	if json.Unmarshal(res.value, &value) != nil {
		return
	}
	failure := res.block.failure
	switch s := rd.Program.Step(c.step).(type) {
	case *dsl.ParallelStep:
		b := s.Branch(c.branch)
		if b == nil {
			return
		}
		if len(value.Outputs) == 1 {
			interpreter.CollectReuse(b.Steps, "", value.Outputs[0], rd.Reuse)
		}
		if failure != nil && !res.block.cancelled && refused(failure.errorCode) && failure.step != "" {
			rd.Refused = append(rd.Refused, failure.step)
		}
	case *dsl.ForeachStep:
		index := func(k int) int {
			if c.indexes != nil {
				return c.indexes[k]
			}
			return c.first + k
		}
		for k, item := range value.Outputs {
			if k < c.count {
				interpreter.CollectReuse(s.Steps, itemPrefix(s.ID, index(k)), item, rd.Reuse)
			}
		}
		if k := len(value.Outputs); failure != nil && !res.block.cancelled && refused(failure.errorCode) && failure.step != "" && k < c.count {
			rd.Refused = append(rd.Refused, itemPrefix(s.ID, index(k))+failure.step)
		}
	}
}

func itemPrefix(id string, index int) string {
	return interpreter.StepPath([]interpreter.PathLoop{{Step: id, Index: index}}, "")
}

// refused reports whether a step failure's code is a refusal the activity
// declared (a declined card, an invalid address) rather than retries
// running out, a timeout, or an output too large: only after a refusal is
// it certain that the provider applied nothing under the step's key.
func refused(code string) bool {
	switch code {
	case "", dsl.CodeFailed, dsl.CodeTimeout, dsl.CodeOutputTooLarge, dsl.CodeCallbackRejected, interpreter.CodeExpression:
		return false
	}
	return true
}

func jsonOrNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}

// redrivenAs returns the ids of the runs that redrive the runs, by the
// workflow id of the run each redrives, in one query per maxIDsPerQuery
// runs.
func redrivenAs(ctx context.Context, q Querier, workflowIDs []string) (map[string]string, error) {
	redriven := map[string]string{}
	for batch := range chunks(workflowIDs, maxIDsPerQuery) {
		rows, err := q.Query(ctx, fmt.Sprintf(`SELECT service_key, value_utf8 FROM state WHERE service_name = '%s' AND key = '%s' AND service_key IN (%s)`,
			interpreter.LineageService, interpreter.LineageRedrivenAs, quoteAll(batch)))
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			var id string
			if err := json.Unmarshal([]byte(str(row["value_utf8"])), &id); err != nil {
				return nil, fmt.Errorf("lineage of %s: %w", str(row["service_key"]), err)
			}
			redriven[str(row["service_key"])] = id
		}
	}
	return redriven, nil
}
