package chaos

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	reaflow "github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// soldOut is a trip-booking run whose car is sold out, as the soak plans
// it, with the ledger of a run that went right.
func soldOut(t *testing.T) (*observation, sandbox.Ledger) {
	t.Helper()
	p := &planner{seed: 1}
	var j *job
	for i := 0; j == nil; i++ {
		if c := p.job(i); c.scenario == "trip-sold-out" {
			j = c
		}
	}
	r := j.runs[0]
	o := &observation{Run: r, Submitted: true, Finished: true,
		State: runState{Status: "completed", Result: "failure", Failure: "[500] step car failed: sold_out: car sold-out-suv is sold out; compensated: hotel, flight, deposit"}}
	objects := map[string]string{"deposit": "ch_000001", "flight": "bk_000001", "hotel": "bk_000002"}
	paths := map[string]string{"undo hotel": "/travel/bookings/bk_000002/cancel", "undo flight": "/travel/bookings/bk_000001/cancel", "undo deposit": "/payments/refunds"}
	var l sandbox.Ledger
	for i, e := range r.Expect.Effects {
		eff := sandbox.Effect{Seq: i + 1, Endpoint: e.Route, Path: paths[e.Label], IdempotencyKey: e.Key, Status: 200, ObjectID: objects[e.Label], Summary: e.Label}
		if e.Status != 0 {
			eff.Status, eff.ObjectID = e.Status, ""
		}
		if e.Label == "undo deposit" {
			eff.Request = json.RawMessage(`{"chargeId":"ch_000001"}`)
		}
		l.Effects = append(l.Effects, eff)
	}
	return o, l
}

func checks(problems []Problem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.Check)
	}
	return out
}

func TestVerifyAcceptsASagaThatWentRight(t *testing.T) {
	o, l := soldOut(t)
	assert.Empty(t, verify([]*observation{o}, l))
}

func TestVerifyFindsASecondEffect(t *testing.T) {
	o, l := soldOut(t)
	again := l.Effects[1]
	again.Seq = 99
	l.Effects = append(l.Effects, again)
	problems := verify([]*observation{o}, l)
	require.Equal(t, []string{"effects"}, checks(problems))
	assert.Contains(t, problems[0].String(), "step flight")
	assert.Contains(t, problems[0].String(), "seen 2")
	assert.Contains(t, problems[0].String(), "#99")
}

func TestVerifyFindsAnEffectWithoutAStep(t *testing.T) {
	o, l := soldOut(t)
	l.Effects = append(l.Effects, sandbox.Effect{Seq: 50, Endpoint: routeCharge, Path: "/payments/charges", IdempotencyKey: "rf1_nobody", Status: 200, ObjectID: "ch_000009"})
	problems := verify([]*observation{o}, l)
	require.Equal(t, []string{"stray effect"}, checks(problems))
	assert.Contains(t, problems[0].Detail, "rf1_nobody")
}

func TestVerifyFindsCompensationsOutOfOrder(t *testing.T) {
	o, l := soldOut(t)
	n := len(l.Effects)
	// Undo the flight before the hotel.
	l.Effects[n-3].Seq, l.Effects[n-2].Seq = l.Effects[n-2].Seq, l.Effects[n-3].Seq
	problems := verify([]*observation{o}, l)
	require.Equal(t, []string{"order"}, checks(problems))
	assert.Contains(t, problems[0].Detail, "undo hotel < undo flight")
}

func TestVerifyFindsAMissingCompensation(t *testing.T) {
	o, l := soldOut(t)
	l.Effects = l.Effects[:len(l.Effects)-1]
	problems := verify([]*observation{o}, l)
	require.Equal(t, []string{"compensation"}, checks(problems))
	assert.Contains(t, problems[0].Detail, "undo deposit")
}

func TestVerifyFindsACompensationOfTheWrongObject(t *testing.T) {
	o, l := soldOut(t)
	l.Effects[len(l.Effects)-3].Path = "/travel/bookings/bk_000001/cancel"
	problems := verify([]*observation{o}, l)
	require.Equal(t, []string{"output"}, checks(problems))
	assert.Contains(t, problems[0].Detail, "undo hotel cancels")
}

func TestVerifyReportsFinalStates(t *testing.T) {
	for name, c := range map[string]struct {
		change func(o *observation)
		want   string
	}{
		"completed instead of failed": {func(o *observation) { o.State.Result, o.Output = "success", json.RawMessage(`{}`) }, "seen: completed"},
		"other error":                 {func(o *observation) { o.State.Failure = "[500] boom" }, `containing "sold_out"`},
		"stuck": {func(o *observation) {
			o.Finished, o.State = false, runState{Status: "backing-off", RetryCount: 12, LastFailure: "connection refused"}
		}, `STUCK in status "backing-off", retry count 12, last failure "connection refused"`},
		"lost":         {func(o *observation) { o.Finished, o.State = false, runState{} }, "LOST"},
		"not accepted": {func(o *observation) { o.Submitted, o.Finished, o.SubmitAttempts = false, false, 3 }, "never accepted (3 attempts)"},
	} {
		t.Run(name, func(t *testing.T) {
			o, l := soldOut(t)
			c.change(o)
			problems := verify([]*observation{o}, l)
			require.NotEmpty(t, problems)
			assert.Equal(t, "final state", problems[0].Check)
			assert.Contains(t, problems[0].Detail, c.want)
			assert.True(t, strings.HasPrefix(problems[0].String(), "[final state] "+o.Run.ID+" (trip-sold-out): expected "), problems[0].String())
		})
	}
}

// Twins share their shipment's key: one effect for both is right, two
// are not.
func TestVerifySharedDedupKey(t *testing.T) {
	p := &planner{seed: 1}
	var j *job
	for i := 0; j == nil; i++ {
		if c := p.job(i); c.scenario == "order-twins" {
			j = c
		}
	}
	var obs []*observation
	var l sandbox.Ledger
	seq := 0
	effect := func(e expectedEffect, object, summary string) {
		seq++
		l.Effects = append(l.Effects, sandbox.Effect{Seq: seq, Endpoint: e.Route, IdempotencyKey: e.Key, Status: 200, ObjectID: object, Summary: summary})
	}
	for k, r := range j.runs {
		charge := "ch_00000" + string(rune('1'+k))
		mail := "msg_00000" + string(rune('1'+k))
		obs = append(obs, &observation{Run: r, Submitted: true, Finished: true, State: runState{Status: "completed", Result: "success"},
			Output: json.RawMessage(`{"chargeId":"` + charge + `","tracking":"TRK000000001","emailId":"` + mail + `"}`)})
		effect(r.Expect.Effects[0], charge, "charged")
		if k == 0 {
			effect(r.Expect.Effects[1], "shp_000001", `shipped order "x" as TRK000000001`)
		}
		effect(r.Expect.Effects[2], mail, "sent")
	}
	assert.Empty(t, verify(obs, l))

	effect(j.runs[1].Expect.Effects[1], "shp_000002", `shipped order "x" as TRK000000002`)
	problems := verify(obs, l)
	assert.Equal(t, []string{"effects", "effects"}, checks(problems), "both twins see the second shipment")
}

// A run that failed on an injected fault used up a bounded retry budget
// with the help of crashes: a known issue, which fails a soak only in
// strict mode.
func TestVerifyMarksTheKnownRetryBudgetIssue(t *testing.T) {
	p := &planner{seed: 1}
	var r *run
	for i := 0; r == nil; i++ {
		if j := p.job(i); j.scenario == "order" {
			r = j.runs[0]
		}
	}
	o := &observation{Run: r, Submitted: true, Finished: true, State: runState{Status: "completed", Result: "failure",
		Failure: `[500] step "charge" (activity charge) failed: payments: status 429: {"error":{"type":"rate_limit_error","code":"sandbox_fault","message":"429 injected by rule 1"}}`}}
	problems := verify([]*observation{o}, sandbox.Ledger{})
	require.NotEmpty(t, problems)
	for _, pr := range problems {
		assert.Equal(t, knownRetryBudget, pr.Known, pr.String())
	}
	rep := &Report{Problems: problems}
	assert.True(t, rep.Passed())
	var out strings.Builder
	rep.Print(&out)
	assert.Contains(t, out.String(), "KNOWN ISSUES")
	assert.Contains(t, out.String(), "PASS")
	rep.Strict = true
	assert.False(t, rep.Passed())

	o.State.Failure = "[500] step \"charge\" (activity charge) failed: boom"
	for _, pr := range verify([]*observation{o}, sandbox.Ledger{}) {
		assert.Empty(t, pr.Known, "any other failure is a problem")
	}
}

// The retry budget waiver excuses a run's outcome and the steps it never
// reached, not what it did: a doubled charge, or a step before the failure
// without its effect, is a problem even in a run that failed on a fault.
func TestVerifyKnownIssueNeverExcusesAnEffect(t *testing.T) {
	p := &planner{seed: 1}
	var r *run
	for i := 0; r == nil; i++ {
		if j := p.job(i); j.scenario == "order" {
			r = j.runs[0]
		}
	}
	require.Equal(t, "charge", r.Expect.Effects[0].Label)
	require.Equal(t, "ship", r.Expect.Effects[1].Label)
	failedAtShip := runState{Status: "completed", Result: "failure",
		Failure: `[500] step "ship" (activity ship) failed: shipping: status 429: {"error":{"code":"sandbox_fault","message":"429 injected by rule 1"}}`}
	charge := func(seq int) sandbox.Effect {
		c := r.Expect.Effects[0]
		return sandbox.Effect{Seq: seq, Endpoint: c.Route, IdempotencyKey: c.Key, Status: 200, ObjectID: "ch_000001", Summary: "charged"}
	}
	unexcused := func(problems []Problem) []string {
		var out []string
		for _, pr := range problems {
			if pr.Known == "" {
				out = append(out, pr.String())
			}
		}
		return out
	}

	o := &observation{Run: r, Submitted: true, Finished: true, State: failedAtShip}
	once := verify([]*observation{o}, sandbox.Ledger{Effects: []sandbox.Effect{charge(1)}})
	require.NotEmpty(t, once)
	assert.Empty(t, unexcused(once), "charged once, then failed at ship: only the outcome and the unreached steps")

	twice := unexcused(verify([]*observation{o}, sandbox.Ledger{Effects: []sandbox.Effect{charge(1), charge(2)}}))
	require.Len(t, twice, 1, "a doubled charge is never a known issue")
	assert.Contains(t, twice[0], "step charge")
	assert.Contains(t, twice[0], "seen 2")

	missing := unexcused(verify([]*observation{o}, sandbox.Ledger{}))
	require.Len(t, missing, 1, "charge comes before the failed step, so its effect is due")
	assert.Contains(t, missing[0], "step charge")
}

// plannedJob is the first job of the scenario that seed 1 plans, and
// accept, if given, picks among them.
func plannedJob(t *testing.T, scenario string, accept func(*job) bool) *job {
	t.Helper()
	p := &planner{seed: 1, sandboxURL: "http://sandbox"}
	for i := range 2000 {
		if j := p.job(i); j.scenario == scenario && (accept == nil || accept(j)) {
			return j
		}
	}
	t.Fatalf("no %s job in 2000", scenario)
	return nil
}

func failedRun(r *run, failure string) *observation {
	return &observation{Run: r, Submitted: true, Finished: true, State: runState{Status: "completed", Result: "failure", Failure: failure}}
}

func succeeded(r *run, output string) *observation {
	return &observation{Run: r, Submitted: true, Finished: true, State: runState{Status: "completed", Result: "success"}, Output: json.RawMessage(output)}
}

// ledgerOf records one successful effect per expected effect not reused,
// numbered from seq, with the objects given by label.
func ledgerOf(l *sandbox.Ledger, effects []expectedEffect, objects map[string]string) {
	for _, e := range effects {
		if e.Reused {
			continue
		}
		l.Effects = append(l.Effects, sandbox.Effect{Seq: len(l.Effects) + 1, Endpoint: e.Route, IdempotencyKey: e.Key, Status: 200, ObjectID: objects[e.Label], Summary: e.Label})
		if l.Calls == nil {
			l.Calls = map[string]int{}
		}
		l.Calls[e.Key]++
	}
}

const invoiceOutage = `[500] step "recordInvoice" (activity http) failed: POST http://sandbox/webhooks/billing: status 503: {"error":{"type":"api_error","code":"sandbox_fault","message":"503 injected by Sandbox-* headers"}}`

// A renewal whose invoice step failed for good after its charge, and its
// redrive, which reuses the charge and completes, with the ledger of a
// lineage that went right.
func renewalLineage(t *testing.T) (*lineage, *observation, *observation, sandbox.Ledger) {
	t.Helper()
	r := plannedJob(t, "renewal-redriven", nil).runs[0]
	ln := r.Lineage
	require.NotNil(t, ln)
	require.False(t, r.Expect.Completed, "the original is planned to fail")
	orig := failedRun(r, invoiceOutage)
	next, p := ln.redriveOf(orig)
	require.NotNil(t, next)
	require.NotNil(t, p, "a planned failure")
	next.ID = r.ID + "-redrive-1"
	require.Equal(t, []string{"charge"}, labels(orig.Run.Expect.Effects), "the original charged before it failed")
	require.Equal(t, []string{"charge", "recordInvoice", "receipt"}, labels(next.Expect.Effects))
	require.True(t, next.Expect.Effects[0].Reused)
	assert.Equal(t, orig.Run.Expect.Effects[0].Key, next.Expect.Effects[0].Key, "the redrive reuses the original's charge, under its key")
	assert.Equal(t, key(r.ID, step("recordInvoice")), next.Expect.Effects[1].Key, "a redriven step sends the root's key")

	var l sandbox.Ledger
	objects := map[string]string{"charge": "ch_000001", "recordInvoice": "evt_000001", "receipt": "msg_000001"}
	ledgerOf(&l, orig.Run.Expect.Effects, objects)
	ledgerOf(&l, next.Expect.Effects, objects)
	var in struct {
		Price        float64
		LoyaltyYears float64
	}
	require.NoError(t, json.Unmarshal(r.Input, &in))
	total := math.Round(in.Price*(1-math.Min(in.LoyaltyYears*0.05, 0.25))*100) / 100
	rd := succeeded(next, fmt.Sprintf(`{"charged": %v, "chargeId": "ch_000001", "receipt": "msg_000001"}`, total))
	rd.CallsBefore = map[string]int{next.Expect.Effects[0].Key: 1}
	return ln, orig, rd, l
}

func labels(effects []expectedEffect) []string {
	var out []string
	for _, e := range effects {
		out = append(out, e.Label)
	}
	return out
}

func TestVerifyAcceptsARedriveThatReusedItsCharge(t *testing.T) {
	_, orig, rd, l := renewalLineage(t)
	assert.Empty(t, verify([]*observation{orig, rd}, l))
}

// A step the failed run completed must not have a second effect: the
// redrive reuses it.
func TestVerifyFindsARedriveThatChargedAgain(t *testing.T) {
	_, orig, rd, l := renewalLineage(t)
	again := l.Effects[0]
	again.Seq, again.ObjectID = 99, "ch_000002"
	l.Effects = append(l.Effects, again)
	problems := verify([]*observation{orig, rd}, l)
	require.Equal(t, []string{"effects", "effects"}, checks(problems), "the original and its redrive both see the second charge")
	for _, pr := range problems {
		assert.Contains(t, pr.Detail, "step charge")
		assert.Contains(t, pr.Detail, "seen 2")
	}
}

// A reused step costs no provider call, even one answered from the key's
// record.
func TestVerifyFindsACallOfAReusedStep(t *testing.T) {
	_, orig, rd, l := renewalLineage(t)
	l.Calls[rd.Run.Expect.Effects[0].Key]++
	problems := verify([]*observation{orig, rd}, l)
	require.Equal(t, []string{"reuse"}, checks(problems))
	assert.Contains(t, problems[0].Detail, "step charge is reused from "+orig.Run.ID)
	assert.Contains(t, problems[0].Detail, "had 1 provider calls after the redrive started")
}

// After an outage, the redriven step keeps the root's key: a new key
// could apply the effect twice.
func TestVerifyFindsARedrivenStepUnderANewKey(t *testing.T) {
	_, orig, rd, l := renewalLineage(t)
	invoice := &l.Effects[1]
	require.Equal(t, "recordInvoice", invoice.Summary)
	invoice.IdempotencyKey = stepKey(orig.Run.ID, 1, "recordInvoice")
	assert.Equal(t, []string{"stray effect", "effects"}, checks(verify([]*observation{orig, rd}, l)))
}

// The plan reaflow makes is compared with the lineage's: what it reuses,
// its root and generation, and the keys it renews.
func TestLineageComparesThePlan(t *testing.T) {
	ln, orig, _, _ := renewalLineage(t)
	plan := func(rd *interpreter.Redrive) *reaflow.RedrivePlan {
		return &reaflow.RedrivePlan{Of: orig.Run.ID, ID: orig.Run.ID + "-redrive-1", Request: interpreter.RunRequest{Redrive: rd}}
	}
	reuse := map[string]json.RawMessage{"charge": json.RawMessage(`{"id":"ch_000001"}`)}
	assert.Empty(t, ln.checkPlan(plan(&interpreter.Redrive{Of: orig.Run.ID, Root: orig.Run.ID, Generation: 1, Reuse: reuse})))

	assert.Equal(t, []string{"reuses [], expected [charge]"}, ln.checkPlan(plan(&interpreter.Redrive{Of: orig.Run.ID, Root: orig.Run.ID, Generation: 1})))
	assert.Equal(t, []string{"new keys map[recordInvoice:1], expected map[]"},
		ln.checkPlan(plan(&interpreter.Redrive{Of: orig.Run.ID, Root: orig.Run.ID, Generation: 1, Reuse: reuse, Keys: map[string]int{"recordInvoice": 1}})))
	assert.Len(t, ln.checkPlan(plan(&interpreter.Redrive{Of: orig.Run.ID, Root: "other", Generation: 2, Reuse: reuse})), 1)
	assert.Equal(t, []string{"the plan carries no redrive"}, ln.checkPlan(plan(nil)))
}

// A refused charge is charged again by the redrive under a key of its own:
// the root's key with the redrive generation. Under the refused key, the
// provider would answer the refusal again.
func TestRedriveAfterARefusalExpectsANewKey(t *testing.T) {
	r := plannedJob(t, "order-redriven", func(j *job) bool { return len(j.runs[0].Lineage.planned) == 2 }).runs[0]
	ln := r.Lineage
	refused := `[500] step "charge" (activity charge) failed: sandbox_fault: payments: status 402: 402 injected by Sandbox-* headers`
	orig := failedRun(r, refused)
	first, p := ln.redriveOf(orig)
	require.NotNil(t, first)
	require.NotNil(t, p)
	assert.Empty(t, orig.Run.Expect.Effects, "a refusal before the effect leaves none")
	first.ID = r.ID + "-redrive-1"
	assert.False(t, first.Expect.Completed, "the provider refuses the first redrive's key too")

	firstObs := failedRun(first, refused)
	second, p := ln.redriveOf(firstObs)
	require.NotNil(t, second)
	require.NotNil(t, p)
	second.ID = r.ID + "-redrive-2"
	require.True(t, second.Expect.Completed)
	charge := second.Expect.Effects[0]
	require.Equal(t, "charge", charge.Label)
	assert.Equal(t, rea.IdempotencyKey(r.ID, rea.Step("charge"), rea.Role("redrive"), rea.Index(2)), charge.Key)
	assert.Equal(t, key(r.ID, step("notify")), second.Expect.Effects[2].Key, "a step never refused keeps the root's key")
	assert.Equal(t, 1, second.NewKeys)

	var l sandbox.Ledger
	ledgerOf(&l, second.Expect.Effects, map[string]string{"charge": "ch_000001", "ship": "shp_000001", "notify": "msg_000001"})
	l.Effects[1].Summary = `shipped order "x" as TRK000000001`
	rd := succeeded(second, `{"chargeId": "ch_000001", "tracking": "TRK000000001", "emailId": "msg_000001"}`)
	assert.Empty(t, verify([]*observation{orig, firstObs, rd}, l))

	// The redrive charged under the refused key.
	l.Effects[0].IdempotencyKey = key(r.ID, step("charge"))
	assert.Equal(t, []string{"stray effect", "effects"}, checks(verify([]*observation{orig, firstObs, rd}, l)))
}

// A run that failed on the retry budget known issue is redriven, and its
// redrive must complete: the waiver covers only the original's outcome,
// and the effects of the steps it never reached are the redrive's.
func TestVerifyKnownIssueRunIsRedriven(t *testing.T) {
	r := plannedJob(t, "order", nil).runs[0]
	ln := newLineage(r)
	orig := failedRun(r, `[500] step "ship" (activity ship) failed: shipping: status 502: {"error":{"code":"sandbox_fault","message":"502 injected by rule 4"}}`)
	next, p := ln.redriveOf(orig)
	require.NotNil(t, next)
	assert.Nil(t, p, "not planned: the known issue")
	next.ID = r.ID + "-redrive-1"
	assert.Equal(t, []string{"charge"}, labels(orig.Run.Expect.Effects))
	assert.True(t, next.Expect.Effects[0].Reused, "the redrive reuses the charge")
	assert.False(t, next.Expect.Effects[1].Reused, "and runs the shipment")

	var l sandbox.Ledger
	ledgerOf(&l, orig.Run.Expect.Effects, map[string]string{"charge": "ch_000001"})
	ledgerOf(&l, next.Expect.Effects, map[string]string{"ship": "shp_000001", "notify": "msg_000001"})
	l.Effects[1].Summary = `shipped order "x" as TRK000000001`
	rd := succeeded(next, `{"chargeId": "ch_000001", "tracking": "TRK000000001", "emailId": "msg_000001"}`)
	rd.CallsBefore = map[string]int{next.Expect.Effects[0].Key: 1}
	problems := verify([]*observation{orig, rd}, l)
	require.Equal(t, []string{"final state"}, checks(problems), "only the original's outcome")
	assert.Equal(t, knownRetryBudget, problems[0].Known)

	l.Effects = append(l.Effects, l.Effects[1])
	l.Effects[len(l.Effects)-1].Seq = 99
	var unexcused []string
	for _, pr := range verify([]*observation{orig, rd}, l) {
		if pr.Known == "" {
			unexcused = append(unexcused, pr.Check)
		}
	}
	assert.Equal(t, []string{"effects"}, unexcused, "a second shipment is never excused")

	// A failure that is neither planned nor the known issue is not
	// redriven: the run is checked as it is.
	other := &run{ID: "x", Expect: r.Expect}
	rd2, _ := newLineage(other).redriveOf(failedRun(other, `[500] step "ship" (activity ship) failed: boom`))
	assert.Nil(t, rd2)
}

// soakScheduleOf is a schedule that fired five times, once a second, each
// fire one run, as Describe and Restate report it once paused.
func soakScheduleOf() *soakSchedule {
	first := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	s := &soakSchedule{Name: "tick", First: first, FiredAfterChaos: true, Runs: map[string]int{}, States: map[string]runState{},
		Info: &interpreter.ScheduleInfo{Counts: interpreter.ScheduleCounts{Started: 5}}}
	for k := range 5 {
		id := interpreter.ScheduleRunID("tick", first.Add(time.Duration(k)*time.Second))
		s.Runs[id] = 1
		s.States[id] = runState{Status: "completed", Result: "success"}
		s.Info.Recent = append([]interpreter.Fire{{Nominal: first.Add(time.Duration(k) * time.Second), RunID: id, State: interpreter.FireSucceeded}}, s.Info.Recent...)
	}
	return s
}

func TestVerifyScheduleFiresOncePerTick(t *testing.T) {
	assert.Empty(t, verifySchedule(soakScheduleOf()))
	for name, c := range map[string]struct {
		change func(s *soakSchedule)
		want   string
	}{
		"a fire twice":        {func(s *soakSchedule) { s.Runs["tick:20260308T073002Z"] = 2 }, "fires with more than one run: tick:20260308T073002Z (2 runs)"},
		"a gap":               {func(s *soakSchedule) { delete(s.Runs, "tick:20260308T073003Z") }, "1 of the 5 fires from 2026-03-08T07:30:00Z on have no run: tick:20260308T073003Z"},
		"a run off the ticks": {func(s *soakSchedule) { s.Runs["tick:20260308T073001.500000000Z"] = 1 }, "runs that are not of a fire time"},
		"the first fire lost": {func(s *soakSchedule) { delete(s.Runs, "tick:20260308T073000Z") }, "have no run: tick:20260308T073000Z"},
		"counted wrong":       {func(s *soakSchedule) { s.Info.Counts.Started = 6 }, "describe counts 6 started"},
		"a fire missed":       {func(s *soakSchedule) { s.Info.Counts.Missed = 1 }, "1 missed"},
		"stopped firing":      {func(s *soakSchedule) { s.Trouble = []string{"it stopped firing: no fire due after the chaos ended"} }, "stopped firing"},
	} {
		t.Run(name, func(t *testing.T) {
			s := soakScheduleOf()
			c.change(s)
			problems := verifySchedule(s)
			require.Len(t, problems, 1, "%v", problems)
			assert.Equal(t, "schedule", problems[0].Check)
			assert.Contains(t, problems[0].Detail, c.want)
		})
	}
}

// Each fired run is checked as any run: its one email, exactly once.
func TestVerifyScheduledRunsSendOneEmailEach(t *testing.T) {
	s := soakScheduleOf()
	obs := s.observations()
	require.Len(t, obs, 5)
	var l sandbox.Ledger
	for _, o := range obs {
		e := o.Run.Expect.Effects[0]
		l.Effects = append(l.Effects, sandbox.Effect{Seq: len(l.Effects) + 1, Endpoint: e.Route, IdempotencyKey: e.Key, Status: 200, ObjectID: "msg", Request: mustJSON(map[string]string{"subject": o.Run.ID})})
	}
	assert.Empty(t, verify(obs, l))
	again := l.Effects[2]
	again.Seq = 99
	l.Effects = append(l.Effects, again)
	problems := verify(obs, l)
	require.Equal(t, []string{"effects"}, checks(problems))
	assert.Contains(t, problems[0].String(), "tick:20260308T073002Z")
}
