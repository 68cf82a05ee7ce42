package chaos

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
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
