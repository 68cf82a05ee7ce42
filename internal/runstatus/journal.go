package runstatus

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/reaflow/reaflow/internal/journalname"
	"github.com/reaflow/reaflow/interpreter"
)

// journal is what status reads from one invocation's journal: the
// commands that belong to steps, in order, and the results that completed
// them. A Reader keeps it between polls and parses only the entries added
// since, so each entry's full JSON is read once.
type journal struct {
	// rows is the number of journal entries parsed.
	rows int
	cmds []command
	// results holds completions by completion id; signals holds signal
	// notifications (callbacks, cancellation) by signal index.
	results map[int]result
	signals map[int]result
	// kinds holds the kind of the command each completion id belongs to.
	kinds map[int]cmdKind
	// output is the invocation's own result, once it has one.
	output *result
	// deadline is the completion id of the workflow's timeout timer; 0
	// when the run has none.
	deadline int
}

func newJournal() *journal {
	return &journal{results: map[int]result{}, signals: map[int]result{}, kinds: map[int]cmdKind{}}
}

// cmdKind is what a journaled command does for a step.
type cmdKind int

const (
	cmdRun   cmdKind = iota + 1 // a Run: an activity, a compensation, the clock
	cmdSleep                    // a timer: a sleep step or a timeout
	cmdBlock                    // a call to a block: parallel branch, foreach items
	cmdDedup                    // a call to the dedup object
	cmdAwait                    // a signal's promise, or a block's call to Await
	cmdChild                    // a workflow step's child run
	cmdClaim                    // a redrive's claim on the run it redrives, of no step
	cmdOther                    // a call reaflow does not make
)

// command is one journaled command of a step.
type command struct {
	kind cmdKind
	// entry is what a Run's or a timer's name says.
	entry journalname.Entry
	// completion is the completion id of the command's result; 0 when it
	// has none (a one-way call).
	completion int
	// wakeUp is when a timer fires.
	wakeUp time.Time
	// child is the invocation id a call started.
	child string
	// key is the workflow key a call targets (a child run's id).
	key string
	// step names the step of a block or dedup call.
	step string
	// branch, first and count say what a block call runs; indexes, when
	// set, are the indexes of its items (a redrive runs only some).
	branch       string
	first, count int
	indexes      []int
	// signal is the signal an await waits for.
	signal string
	// at is when Restate appended the command to the journal.
	at time.Time
}

// result is how a command (or the invocation) completed.
type result struct {
	failed  bool
	message string
	// step is the step a failure names (the reaflow.step metadata).
	step string
	// code is a failure's Restate error code and errorCode the
	// activity's or the interpreter's (the reaflow.code metadata).
	code      int
	errorCode string
	// value is a success's value, when its full form was read.
	value []byte
	// block is a block call's result, when it was read.
	block *blockOutcome
	// at is when Restate appended the result to the journal.
	at time.Time
}

// blockOutcome is what a block invocation returned: how many items (or
// branches) completed, and the failure it stopped at. A block never fails
// as a whole for a step's failure; the failure is in its result.
type blockOutcome struct {
	outputs int
	failure *result
	// cancelled is true when the block stopped because it was cancelled.
	cancelled bool
}

// journalRow is the part of a journal row's JSON that status reads: the
// lite form of every entry and the full form of some.
type journalRow struct {
	Command struct {
		Run *struct {
			CompletionID int    `json:"completion_id"`
			Name         string `json:"name"`
		} `json:"Run"`
		Sleep *struct {
			WakeUpTime   int64  `json:"wake_up_time"`
			CompletionID int    `json:"completion_id"`
			Name         string `json:"name"`
		} `json:"Sleep"`
		Call       *callEntry `json:"Call"`
		OneWayCall *callEntry `json:"OneWayCall"`
		GetPromise *struct {
			Key          string `json:"key"`
			CompletionID int    `json:"completion_id"`
		} `json:"GetPromise"`
		Output *struct {
			Result json.RawMessage `json:"result"`
		} `json:"Output"`
		Input *struct {
			Payload []int `json:"payload"`
		} `json:"Input"`
	} `json:"Command"`
	Notification struct {
		// Lite form.
		ID struct {
			CompletionID *int `json:"CompletionId"`
			SignalIndex  *int `json:"SignalIndex"`
		} `json:"id"`
		Result json.RawMessage `json:"result"`
		// Full form.
		Completion map[string]struct {
			CompletionID int             `json:"completion_id"`
			Result       json.RawMessage `json:"result"`
		} `json:"Completion"`
		Signal *struct {
			ID struct {
				Index int `json:"Index"`
			} `json:"id"`
			Result json.RawMessage `json:"result"`
		} `json:"Signal"`
	} `json:"Notification"`
}

type callEntry struct {
	InvocationID       string      `json:"invocation_id"`
	Target             *callTarget `json:"invocation_target"`
	ResultCompletionID int         `json:"result_completion_id"`
	Request            *struct {
		InvocationID string      `json:"invocation_id"`
		Target       *callTarget `json:"invocation_target"`
		Parameter    []int       `json:"parameter"`
	} `json:"request"`
}

// callTarget is the service a call invokes, in whichever form Restate
// writes it.
type callTarget struct {
	Service       *targetName `json:"Service"`
	VirtualObject *targetName `json:"VirtualObject"`
	Workflow      *targetName `json:"Workflow"`
}

type targetName struct {
	Name    string `json:"name"`
	Key     string `json:"key"`
	Handler string `json:"handler"`
}

func (t *callTarget) name() *targetName {
	switch {
	case t == nil:
		return nil
	case t.Service != nil:
		return t.Service
	case t.VirtualObject != nil:
		return t.VirtualObject
	}
	return t.Workflow
}

// callParameter is the part of a call's parameter status reads: a block
// request's step, branch and items, or an activity call's step.
type callParameter struct {
	journalname.BlockCall[json.RawMessage]
	journalname.DedupCall
}

// add parses the journal rows from j.rows on. Rows before that were parsed
// by an earlier poll; their full JSON is not read again.
func (j *journal) add(rows []map[string]any, services services) error {
	for _, row := range rows[j.rows:] {
		n := len(j.cmds)
		if err := j.parse(row, services); err != nil {
			return fmt.Errorf("journal entry %v: %w", row["index"], err)
		}
		for k := n; k < len(j.cmds); k++ {
			c := &j.cmds[k]
			c.at = timestamp(row["appended_at"])
			if c.completion != 0 {
				j.kinds[c.completion] = c.kind
			}
		}
		j.rows++
	}
	return nil
}

// services names the services reaflow's commands call.
type services struct {
	workflow, block, dedup, lineage string
}

func (j *journal) parse(row map[string]any, svc services) error {
	var lite, full journalRow
	if err := json.Unmarshal([]byte(str(row["entry_lite_json"])), &lite); err != nil {
		return err
	}
	if raw := str(row["entry_json"]); raw != "" {
		// The full form is read only for some entries; one that does not
		// decode leaves what the lite form says.
		_ = json.Unmarshal([]byte(raw), &full)
	}
	entryType := str(row["entry_type"])
	c := &lite.Command
	switch {
	case entryType == "Command: Run" && c.Run != nil:
		name := c.Run.Name
		if name == "" {
			name = str(row["name"])
		}
		j.cmds = append(j.cmds, command{kind: cmdRun, entry: journalname.ParseRun(name), completion: c.Run.CompletionID})
	case entryType == "Command: Sleep" && c.Sleep != nil:
		cmd := command{kind: cmdSleep, entry: journalname.ParseTimer(c.Sleep.Name), completion: c.Sleep.CompletionID, wakeUp: time.UnixMilli(c.Sleep.WakeUpTime).UTC()}
		if cmd.entry.Kind == journalname.Timeout && cmd.entry.Step == "" {
			j.deadline = cmd.completion
			return nil
		}
		j.cmds = append(j.cmds, cmd)
	case entryType == "Command: GetPromise" && c.GetPromise != nil:
		if signal, ok := journalname.ParseSignalPromise(c.GetPromise.Key); ok {
			j.cmds = append(j.cmds, command{kind: cmdAwait, signal: signal, completion: c.GetPromise.CompletionID})
		}
	case entryType == "Command: Call" || entryType == "Command: OneWayCall":
		call := c.Call
		if call == nil {
			call = c.OneWayCall
		}
		fullCall := full.Command.Call
		if fullCall == nil {
			fullCall = full.Command.OneWayCall
		}
		j.cmds = append(j.cmds, callCommand(call, fullCall, svc))
	case entryType == "Command: Output" && c.Output != nil:
		res := decodeResult(c.Output.Result, 0)
		if full.Command.Output != nil {
			res = decodeResult(full.Command.Output.Result, 0)
		}
		j.output = &res
	case strings.HasPrefix(entryType, "Notification: "):
		j.notification(&lite, &full, timestamp(row["appended_at"]))
	}
	return nil
}

func callCommand(lite, full *callEntry, svc services) command {
	cmd := command{kind: cmdOther}
	var param callParameter
	var target *targetName
	if lite != nil {
		cmd.child, cmd.completion, target = lite.InvocationID, lite.ResultCompletionID, lite.Target.name()
	}
	if full != nil {
		if cmd.completion == 0 {
			cmd.completion = full.ResultCompletionID
		}
		if full.Request != nil {
			if cmd.child == "" {
				cmd.child = full.Request.InvocationID
			}
			if target == nil {
				target = full.Request.Target.name()
			}
			raw := bytesOf(full.Request.Parameter)
			if json.Unmarshal(raw, &param) != nil {
				// The Await handler's parameter is the signal name.
				var signal string
				if json.Unmarshal(raw, &signal) == nil {
					cmd.signal = signal
				}
			}
		}
	}
	switch {
	case target != nil && target.Name == svc.lineage:
		cmd.kind = cmdClaim
	case target != nil && target.Name == svc.block:
		cmd.kind, cmd.step, cmd.branch, cmd.first, cmd.count, cmd.indexes = cmdBlock, param.Step, param.Branch, param.First, len(param.Items), param.Indexes
	case target != nil && target.Name == svc.workflow && target.Handler == "Await":
		cmd.kind = cmdAwait
	case target != nil && target.Name == svc.workflow && target.Handler == "Run":
		cmd.kind, cmd.key = cmdChild, target.Key
	case param.StepID != "" && (target == nil || target.Name == svc.dedup):
		cmd.kind, cmd.step = cmdDedup, param.StepID
	}
	return cmd
}

func (j *journal) notification(lite, full *journalRow, at time.Time) {
	n := &lite.Notification
	var kind cmdKind
	if n.ID.CompletionID != nil {
		kind = j.kinds[*n.ID.CompletionID]
	}
	res := decodeResult(n.Result, kind)
	for _, c := range full.Notification.Completion {
		res = decodeResult(c.Result, kind)
	}
	if s := full.Notification.Signal; s != nil {
		res = decodeResult(s.Result, 0)
	}
	res.at = at
	switch {
	case n.ID.CompletionID != nil:
		if string(n.Result) == `"InvocationId"` {
			return // the id of a call's invocation, not its result
		}
		j.results[*n.ID.CompletionID] = res
	case n.ID.SignalIndex != nil:
		j.signals[*n.ID.SignalIndex] = res
	}
}

// decodeResult reads a result in its lite form ("Success", "Failure",
// "Void") or its full form ({"Success": bytes}, {"Failure": {...}}). The
// value of a block call tells how far the block got and the value of a
// dedup call whether the step failed; other values are not read.
func decodeResult(raw json.RawMessage, kind cmdKind) result {
	var word string
	if json.Unmarshal(raw, &word) == nil {
		return result{failed: word == "Failure"}
	}
	var full struct {
		Success []int `json:"Success"`
		Failure *struct {
			Code     int    `json:"code"`
			Message  string `json:"message"`
			Metadata []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"metadata"`
		} `json:"Failure"`
	}
	if json.Unmarshal(raw, &full) != nil {
		return result{}
	}
	if f := full.Failure; f != nil {
		res := result{failed: true, message: f.Message, code: f.Code}
		for _, m := range f.Metadata {
			switch m.Key {
			case interpreter.MetaStep:
				res.step = m.Value
			case interpreter.MetaCode:
				res.errorCode = m.Value
			}
		}
		return res
	}
	if full.Success == nil {
		return result{}
	}
	success := bytesOf(full.Success)
	// A block's failure, or a dedup call's recorded one.
	type failure struct {
		Status   int               `json:"status"`
		Code     int               `json:"code"`
		Message  string            `json:"message"`
		Metadata map[string]string `json:"metadata"`
	}
	var value struct {
		Outputs []json.RawMessage `json:"outputs"`
		Failure *failure          `json:"failure"`
		Error   *failure          `json:"error"`
	}
	if kind != cmdBlock && kind != cmdDedup || json.Unmarshal(success, &value) != nil {
		return result{value: success}
	}
	switch {
	case kind == cmdBlock:
		out := &blockOutcome{outputs: len(value.Outputs)}
		if f := value.Failure; f != nil {
			out.failure = &result{failed: true, message: f.Message, step: f.Metadata[interpreter.MetaStep], errorCode: f.Metadata[interpreter.MetaCode]}
			out.cancelled = f.Status == statusCancelled || isCancellation(f.Message)
		}
		return result{block: out, value: success}
	case kind == cmdDedup && value.Error != nil:
		return result{failed: true, message: value.Error.Message, step: value.Error.Metadata[interpreter.MetaStep]}
	}
	return result{value: success}
}

// statusCancelled is Restate's code for a cancelled invocation.
const statusCancelled = 409

// isCancellation reports whether a block's failure is a cancellation: a
// step stopped by it fails with Restate's message "Cancelled".
func isCancellation(message string) bool {
	return message == "Cancelled" || strings.HasSuffix(message, " failed: Cancelled")
}

// result returns the result of the command with the completion id.
func (j *journal) result(completion int) (result, bool) {
	if completion == 0 {
		return result{}, false
	}
	r, ok := j.results[completion]
	return r, ok
}

// cancelled reports whether Restate cancelled the invocation.
func (j *journal) cancelled() bool {
	_, ok := j.signals[cancelSignal]
	return ok
}
