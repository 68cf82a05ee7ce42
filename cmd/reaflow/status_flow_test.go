package main

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/runstatus"
	"github.com/reaflow/reaflow/interpreter"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// variable matches what differs from one run of a test to the next in
// status output: times, durations, callback and invocation ids.
var variable = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "TIME"},
	{regexp.MustCompile(`\(started [^)]* ago\)`), "(started … ago)"},
	{regexp.MustCompile(`sign_1[A-Za-z0-9_-]+`), "sign_…"},
	{regexp.MustCompile(`inv_1[A-Za-z0-9]+`), "inv_…"},
}

// checkGolden compares status output, with the run id and what varies
// replaced, to testdata/status/NAME.golden; -update rewrites the file.
func checkGolden(t *testing.T, name, id, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, id, "RUN")
	for _, v := range variable {
		got = v.re.ReplaceAllString(got, v.with)
	}
	path := filepath.Join("testdata", "status", name+".golden")
	if *updateGolden {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run the test with -update to write %s", path)
	assert.Equal(t, string(want), got, "status output differs from %s", path)
}

// awaitStatus polls the run's status until cond holds.
func awaitStatus(t *testing.T, id, what string, cond func(*runstatus.Run) bool) *runstatus.Run {
	t.Helper()
	reader := runstatus.NewReader(stack.Restate)
	var last *runstatus.Run
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if run, err := reader.Fetch(t.Context(), id); err == nil {
			last = run
			if cond(run) {
				return run
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	shown, _ := json.MarshalIndent(last, "", "  ")
	t.Fatalf("%s: the status never showed it; last:\n%s", what, shown)
	return nil
}

// sendSignal sends a run a signal through the ingress.
func sendSignal(t *testing.T, id, name, payload string) {
	t.Helper()
	resp, err := http.Post(stack.Restate.IngressURL+"/"+interpreter.WorkflowService+"/"+id+"/Signal", "application/json",
		strings.NewReader(`{"name": "`+name+`", "payload": `+payload+`}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, resp.Status)
}

func statusJSON(t *testing.T, id string) runstatus.Run {
	t.Helper()
	r := reaflow(t, "status", "--json", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	var run runstatus.Run
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &run), r.stdout)
	return run
}

// An order above the approval limit waits for a person's signal; once it
// comes, the parcels ship in a foreach inside a parallel branch.
func TestStatusOfAnApprovalRun(t *testing.T) {
	id := uniqueID(t)
	r := reaflow(t, "submit", "../../workflows/order-approval.json", "--input", "@../../workflows/inputs/order-approval.json", "--id", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	awaitStatus(t, id, "waiting for the approval", func(run *runstatus.Run) bool { return run.State == runstatus.Waiting })

	r = reaflow(t, "status", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	checkGolden(t, "approval-waiting", id, r.stdout)
	run := statusJSON(t, id)
	assert.Equal(t, "signal approve", run.WaitingFor)
	require.Len(t, run.Steps[0].Steps, 2)
	assert.Equal(t, "signal approve", run.Steps[0].Steps[0].WaitingFor)

	sendSignal(t, id, "approve", `{"approved": true, "by": "grace"}`)
	r = reaflow(t, "status", "--watch", id)
	require.Equal(t, exitOK, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Regexp(t, `(?m)^  done +review/approval  \(await\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +fulfil/parcels/lines  \(foreach, 4 items: 4 done\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +fulfil/receipt/receipt  \(activity email\)$`, r.stdout)
	assert.Contains(t, r.stdout, `"approvedBy": "grace"`)

	r = reaflow(t, "status", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	checkGolden(t, "approval-done", id, r.stdout)
}

const releaseDefinition = `{"name": "release", "version": "2.1.0", "steps": [
  {"id": "prepare", "activity": "email", "with": {"to": "ops@example.com", "subject": "release ${ workflow.id }", "body": "starting"}},
  {"id": "rollout", "parallel": {"branches": {
    "signoff": [
      {"id": "approval", "await": {"signal": "approve"}, "timeout": "24h"},
      {"id": "announce", "activity": "email", "with": {"to": "all@example.com", "subject": "released", "body": "by ${ steps.approval.output.by }"}}
    ],
    "regions": [
      {"id": "deploy", "foreach": {"items": "input.regions", "concurrency": 2, "steps": [
        {"id": "ship", "activity": "ship", "with": {"orderId": "${ workflow.id }-${ item }", "address": "${ item }"}},
        {"id": "soak", "when": "item == 'eu'", "sleep": "1h"}
      ]}}
    ]
  }}},
  {"id": "notify", "activity": "email", "with": {"to": "ops@example.com", "subject": "release done", "body": "done"}}
]}`

// A run waiting in two branches at once: for a signal in one, for a
// foreach item's timer in the other.
func TestStatusOfAParallelForeachAwaitRun(t *testing.T) {
	id := uniqueID(t)
	r := reaflow(t, "submit", writeFile(t, "release.json", releaseDefinition), "--id", id, "--input", `{"regions": ["us", "eu", "ap", "sa"]}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	awaitStatus(t, id, "three regions deployed, one soaking", func(run *runstatus.Run) bool {
		if run.State != runstatus.Waiting || len(run.Steps) < 2 || len(run.Steps[1].Branches) < 2 {
			return false
		}
		deploy := run.Steps[1].Branches[1].Steps[0]
		return deploy.Items != nil && deploy.Items.Done == 3 && deploy.Items.Running == 1
	})
	r = reaflow(t, "status", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	checkGolden(t, "parallel-foreach-await", id, r.stdout)

	run := statusJSON(t, id)
	assert.Regexp(t, `^signal approve, sleep until \d{4}-`, run.WaitingFor)
	deploy := run.Steps[1].Branches[1].Steps[0]
	assert.Equal(t, &runstatus.ItemCounts{Total: 4, Done: 3, Running: 1}, deploy.Items)

	sendSignal(t, id, "approve", `{"by": "ada"}`)
	awaitStatus(t, id, "announced", func(run *runstatus.Run) bool {
		return run.Steps[1].Branches[0].State == runstatus.Done
	})
	r = reaflow(t, "status", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^`+regexp.QuoteMeta(id)+`  release 2.1.0  waiting for sleep until \S+  \(started`, r.stdout)
	assert.Regexp(t, `(?m)^  done +signoff +branch$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +announce +activity email$`, r.stdout)
}

// A trip whose car is sold out: the catch handler tells the customer and
// gives up, and the bookings made before are undone.
func TestStatusOfAFailedSaga(t *testing.T) {
	id := uniqueID(t)
	input := `{"tripId": "` + id + `", "customer": "cus_ada", "flight": "LH 400", "hotel": "Hotel Adlon", "car": "sold-out", "deposit": 150, "email": "ada@example.com"}`
	r := reaflow(t, "submit", "../../workflows/trip-booking.json", "--input", input, "--id", id, "--wait")
	require.Equal(t, exitFailed, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	for _, step := range []string{"deposit", "flight", "hotel"} {
		assert.Regexp(t, `(?m)^  compensated +`+step+`  \(activity `, r.stdout)
	}
	assert.Regexp(t, `(?m)^  caught +car  \(activity book, caught: sold_out: `, r.stdout)
	assert.Regexp(t, `(?m)^  failed +car/giveUp  \(fail, error: step "giveUp" failed: sold_out: car sold-out is sold out\)$`, r.stdout)

	r = reaflow(t, "status", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	checkGolden(t, "saga-compensated", id, r.stdout)
	r = reaflow(t, "status", "--json", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	checkGolden(t, "saga-compensated.json", id, r.stdout)
	run := statusJSON(t, id)
	assert.Equal(t, runstatus.Compensated, run.Steps[0].State)
	assert.Equal(t, runstatus.Caught, run.Steps[3].State)
	assert.Equal(t, runstatus.Pending, run.Steps[4].State)
}

// A callback step shows the callback's id, ready for `reaflow resolve`.
func TestStatusShowsACallbackToResolve(t *testing.T) {
	id := uniqueID(t)
	definition := writeFile(t, "sign.json", `{"name": "sign", "steps": [
	  {"id": "contract", "activity": "email", "callback": true, "with": {"to": "ada@example.com", "subject": "Sign here", "body": "..."}},
	  {"id": "welcome", "activity": "email", "with": {"to": "ada@example.com", "subject": "Welcome", "body": "${ steps.contract.output.signedBy }"}}
	]}`)
	r := reaflow(t, "submit", definition, "--id", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	run := awaitStatus(t, id, "waiting for the callback", func(run *runstatus.Run) bool { return run.State == runstatus.Waiting })
	callback := run.Steps[0].CallbackID
	require.Regexp(t, `^sign_1`, callback)
	assert.Equal(t, "callback "+callback, run.WaitingFor)

	r = reaflow(t, "status", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "  waiting for callback "+callback+"  (started")
	assert.Regexp(t, `(?m)^  waiting +contract +activity email, waiting for callback `+callback+`$`, r.stdout)
	checkGolden(t, "callback-waiting", id, r.stdout)

	r = reaflow(t, "resolve", callback, `{"signedBy": "ada"}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = reaflow(t, "status", "--watch", id)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^  done +contract  \(activity email, callback `+callback+`\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +welcome\b`, r.stdout)
}

// submit --wait names the steps inside a parallel step by their path, and
// reports a foreach step's items.
func TestSubmitWaitShowsNestedSteps(t *testing.T) {
	id := uniqueID(t)
	definition := writeFile(t, "fanout.json", `{"name": "fanout", "steps": [
	  {"id": "route", "switch": {"cases": [{"when": "len(input.to) > 1", "steps": [{"id": "many", "activity": "email", "with": {"to": "log@example.com", "subject": "many", "body": "many"}}]}]}},
	  {"id": "send", "parallel": {"branches": {
	    "mail": [{"id": "each", "foreach": {"items": "input.to", "steps": [{"id": "mail", "activity": "email", "with": {"to": "${ item }", "subject": "hi", "body": "hi"}}]}}],
	    "log":  [{"id": "note", "activity": "email", "with": {"to": "log@example.com", "subject": "sent", "body": "sent"}}]
	  }}}
	]}`)
	r := reaflow(t, "submit", definition, "--id", id, "--wait", "--input", `{"to": ["a@example.com", "b@example.com", "c@example.com"]}`)
	require.Equal(t, exitOK, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Regexp(t, `(?m)^  done +route  \(switch, case 1\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +route/many  \(activity email\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +send/mail/each  \(foreach, 3 items: 3 done\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +send/log/note  \(activity email\)$`, r.stdout)
	assert.Regexp(t, `(?m)^  done +send  \(parallel\)$`, r.stdout)
	assert.Contains(t, r.stdout, "run "+id+" done in ")
}
