package chaos

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/rea"
)

// Definition files of workflows/ that the scenarios run.
const (
	fileOrder    = "order-fulfillment.json"
	fileCancel   = "order-cancellation.json"
	fileRenewal  = "subscription-renewal.json"
	fileApproval = "order-approval.json"
	fileTrip     = "trip-booking.json"
)

// Files lists the definitions the soak needs.
var Files = []string{fileOrder, fileCancel, fileRenewal, fileApproval, fileTrip}

// Routes of the sandbox providers, as the ledger names them.
const (
	routeCharge       = "POST /payments/charges"
	routeRefund       = "POST /payments/refunds"
	routeShip         = "POST /shipping/shipments"
	routeCancelShip   = "POST /shipping/shipments/{id}/cancel"
	routeEmail        = "POST /email/messages"
	routeBook         = "POST /travel/bookings"
	routeCancelBook   = "POST /travel/bookings/{id}/cancel"
	routeWebhook      = "POST /webhooks/{name}"
	statusDeclined    = 402
	statusUnprocessed = 422
)

// A scenario is one kind of job: one run, or two that belong together.
type scenario struct {
	name   string
	weight int
	plan   func(p *planner, j *job)
}

// scenarios is the mix, with weights out of 123. Every example definition
// is in it, each way it can end.
var scenarios = []scenario{
	{"order", 14, planOrder},
	{"order-redriven", 6, planOrderRedriven},
	{"order-declined", 4, planOrderDeclined},
	{"order-twins", 6, planOrderTwins},
	{"order-then-cancel", 8, planOrderThenCancel},
	{"renewal-redriven", 6, planRenewalRedriven},
	{"renewal", 14, planRenewal},
	{"approval-auto", 12, planApprovalAuto},
	{"approval-signal", 14, planApprovalSignal},
	{"approval-rejected", 5, planApprovalRejected},
	{"approval-undeliverable", 5, planApprovalUndeliverable},
	{"trip", 12, planTrip},
	{"trip-sold-out", 11, planTripSoldOut},
	{"trip-cancelled", 6, planTripCancelled},
}

// job is one scenario instance. Its runs are planned up front, except a
// follow-up run whose input depends on how the first run ended.
type job struct {
	index    int
	scenario string
	runs     []*run
	// followUp, if set, plans a run to start once runs[0] has finished as
	// expected; it may read the ledger for objects the first run made.
	followUp func(first *observation, l *sandbox.Ledger) (*run, error)
}

// run is one workflow run the soak submits, with everything it expects of
// it.
type run struct {
	ID       string
	Scenario string
	File     string
	Input    json.RawMessage
	// Signal, if set, is sent to the run's Signal handler once it runs.
	Signal json.RawMessage
	// CancelAfter, if set, cancels the run (as `reaflow cancel` does) this
	// long after Restate accepted it.
	CancelAfter time.Duration
	Expect      expectation
	// Resolve, if set, replaces Expect once the run has ended, for a run
	// whose right outcome depends on when something happened to it: it
	// sees the run and the final ledger.
	Resolve func(o *observation, l *sandbox.Ledger) expectation
	// Lineage, if set, plans failures for the run, after which the soak
	// redrives it (see lineage); without it, a run is redriven only when
	// it fails on the retry budget known issue.
	Lineage *lineage
	// RedriveOf is the run this one redrives, Generation its redrive
	// generation, Planned whether the redriven run failed as planned
	// (rather than on a known issue) and NewKeys how many of its steps
	// use keys of a redrive generation.
	RedriveOf  string
	Generation int
	Planned    bool
	NewKeys    int
}

// expectation is how a run must end and what it must have done.
type expectation struct {
	// Completed is true for a run that must succeed; otherwise it must
	// fail with every string of Failure in its error.
	Completed bool
	Failure   []string
	// Effects are the provider effects the run's steps and compensations
	// must have applied, each exactly once.
	Effects []expectedEffect
	// Order lists chains of effect labels whose effects must have happened
	// in that order.
	Order [][]string
	// Check looks at the output and the effects together, once the run has
	// ended as expected and its effects are there.
	Check func(v *runView) []string
}

// expectedEffect is one effect a run is expected to cause, under its key.
type expectedEffect struct {
	// Label names the step (and role) in messages: "charge", "ship[2]",
	// "undo hotel".
	Label string
	Key   string
	Route string
	// Status is the stored answer's status: 0 for any success, or the
	// refusal expected (402 declined card, 422 sold out).
	Status int
	// Compensation marks the undo of a step.
	Compensation bool
	// Shared marks a dedup key, which other runs may expect too.
	Shared bool
	// Optional allows no effect at all: a step that a failure elsewhere
	// may cancel before it calls its provider. It still allows no more
	// than one.
	Optional bool
	// Step is the path (interpreter.StepPath) of the step whose call makes
	// the effect, from which a redrive derives its key (see lineage); empty
	// where the soak cannot redrive the run.
	Step string
	// Reused marks the effect of a step that the run reuses from the run
	// it redrives: that run's effect, under the same key, still exactly
	// one, and the redrive calls no provider for it.
	Reused bool
}

// planner makes the jobs of one soak from its seed.
type planner struct {
	seed       uint64
	sandboxURL string
	rng        *rand.Rand
}

// job plans job i. Each job draws from a generator of its own, seeded by
// the soak's seed and its index, so that a job is the same whatever the
// number of jobs or the order in which they are planned.
func (p *planner) job(i int) *job {
	p.rng = rand.New(rand.NewPCG(p.seed, uint64(i)))
	total := 0
	for _, s := range scenarios {
		total += s.weight
	}
	pick := p.rng.IntN(total)
	for _, s := range scenarios {
		if pick < s.weight {
			j := &job{index: i, scenario: s.name}
			s.plan(p, j)
			return j
		}
		pick -= s.weight
	}
	panic("unreachable")
}

func (p *planner) id(j *job, suffix string) string {
	id := fmt.Sprintf("chaos-%d-%05d-%s", p.seed, j.index, j.scenario)
	if suffix != "" {
		id += "-" + suffix
	}
	return id
}

func (p *planner) pick(options ...string) string { return options[p.rng.IntN(len(options))] }

// amount draws an amount of money in [lo, hi) with cents.
func (p *planner) amount(lo, hi int) float64 {
	return float64(lo*100+p.rng.IntN((hi-lo)*100)) / 100
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func key(id string, path ...rea.KeyPart) string { return rea.IdempotencyKey(id, path...) }

// stepEffect is the effect of the step at path of run id, under the key
// the run derives for it.
func stepEffect(id, path, route string) expectedEffect {
	return expectedEffect{Label: path, Step: path, Key: stepKey(id, 0, path), Route: route}
}

func step(id string) rea.KeyPart { return rea.Step(id) }

var undo = rea.Role("compensate")

// dedupKey is the key a dedup step's provider call carries: derived from
// the activity and the author's dedup key, not from any run.
func dedupKey(activity, dedup string) string {
	return rea.IdempotencyKey(activity+"/"+dedup, rea.Role("dedup"))
}

// order-fulfillment: charge, ship (deduplicated by order id), email.

func (p *planner) orderRun(j *job, suffix, orderID, customer string) *run {
	id := p.id(j, suffix)
	items := []string{p.pick("keyboard", "mouse", "desk", "lamp"), p.pick("cable", "stand", "pad")}
	return &run{
		ID: id, Scenario: j.scenario, File: fileOrder,
		Input: mustJSON(map[string]any{
			"orderId": orderID, "customerId": customer, "amount": p.amount(5, 500),
			"address": fmt.Sprintf("%d Loop Road", 1+p.rng.IntN(99)), "email": "buyer@example.com", "items": items,
		}),
		Expect: expectation{
			Completed: true,
			Effects: []expectedEffect{
				stepEffect(id, "charge", routeCharge),
				{Label: "ship", Step: "ship", Key: dedupKey("ship", "ship:"+orderID), Route: routeShip, Shared: true},
				stepEffect(id, "notify", routeEmail),
			},
			// Not charge < ship: a twin's shipment may be the other
			// twin's effect, made before this run's charge.
			Order: [][]string{{"charge", "notify"}, {"ship", "notify"}},
			Check: checkOrder,
		},
	}
}

func checkOrder(v *runView) []string {
	var out struct{ ChargeID, Tracking, EmailID string }
	if problems := v.decode(&out); problems != nil {
		return problems
	}
	return join(
		v.same("output chargeId", out.ChargeID, v.object("charge")),
		v.same("output tracking", out.Tracking, v.tracking("ship")),
		v.same("output emailId", out.EmailID, v.object("notify")),
	)
}

func planOrder(p *planner, j *job) {
	id := p.id(j, "")
	j.runs = []*run{p.orderRun(j, "", "ord-"+id, "cus_"+id)}
}

// A declined card fails the first step for good: nothing else runs.
func planOrderDeclined(p *planner, j *job) {
	id := p.id(j, "")
	r := p.orderRun(j, "", "ord-"+id, "cus_declined_"+id)
	r.Expect = expectation{
		Failure: []string{"card_declined"},
		Effects: []expectedEffect{{Label: "charge", Key: key(id, step("charge")), Route: routeCharge, Status: statusDeclined}},
	}
	j.runs = []*run{r}
}

// Two runs for one order id, started together: each charges, but the
// shipment is deduplicated by the order id, so both report the one
// shipment.
func planOrderTwins(p *planner, j *job) {
	orderID := "ord-" + p.id(j, "")
	j.runs = []*run{
		p.orderRun(j, "a", orderID, "cus_"+orderID),
		p.orderRun(j, "b", orderID, "cus_"+orderID),
	}
}

// An order, then its cancellation: the cancellation stops the shipment
// the order made and refunds its charge.
func planOrderThenCancel(p *planner, j *job) {
	id := p.id(j, "order")
	orderID := "ord-" + id
	j.runs = []*run{p.orderRun(j, "order", orderID, "cus_"+id)}
	j.followUp = func(first *observation, l *sandbox.Ledger) (*run, error) {
		var out struct{ ChargeID string }
		if err := json.Unmarshal(first.Output, &out); err != nil || out.ChargeID == "" {
			return nil, fmt.Errorf("order output %s has no chargeId", first.Output)
		}
		shipped := l.EffectsFor(dedupKey("ship", "ship:"+orderID))
		if len(shipped) != 1 {
			return nil, fmt.Errorf("order %s has %d shipment effects, want 1", orderID, len(shipped))
		}
		shipment := shipped[0].ObjectID
		cid := p.id(j, "cancel")
		return &run{
			ID: cid, Scenario: j.scenario, File: fileCancel,
			Input: mustJSON(map[string]any{
				"orderId": orderID, "chargeId": out.ChargeID, "shipmentId": shipment,
				"email": "buyer@example.com", "reason": "chaos",
			}),
			Expect: expectation{
				Completed: true,
				Effects: []expectedEffect{
					stepEffect(cid, "cancelShipment", routeCancelShip),
					{Label: "refund", Step: "refund", Key: dedupKey("refund", "refund:"+out.ChargeID), Route: routeRefund, Shared: true},
					stepEffect(cid, "notify", routeEmail),
				},
				Order: [][]string{{"cancelShipment", "refund", "notify"}},
				Check: func(v *runView) []string {
					var o struct {
						RefundID          string
						ShipmentCancelled bool
					}
					if problems := v.decode(&o); problems != nil {
						return problems
					}
					return join(
						v.same("output refundId", o.RefundID, v.object("refund")),
						v.same("cancelled shipment", v.path("cancelShipment"), "/shipping/shipments/"+shipment+"/cancel"),
						v.same("refunded charge", v.requestField("refund", "chargeId"), out.ChargeID),
						v.same("output shipmentCancelled", fmt.Sprint(o.ShipmentCancelled), "true"),
					)
				},
			},
		}, nil
	}
}

// subscription-renewal: price with a loyalty discount, charge unless
// nothing is due, notify the billing webhook, send a receipt.
func planRenewal(p *planner, j *job) {
	j.runs = []*run{p.renewalRun(j, p.pick("free", "pro", "pro", "team", "team"), []float64{0, 9.99, 20, 49.5, 120}[p.rng.IntN(5)])}
}

func (p *planner) renewalRun(j *job, plan string, price float64) *run {
	id := p.id(j, "")
	loyalty := p.rng.IntN(7)
	total := math.Round(price*(1-math.Min(float64(loyalty)*0.05, 0.25))*100) / 100
	charged := plan != "free" && total > 0
	effects := []expectedEffect{stepEffect(id, "recordInvoice", routeWebhook), stepEffect(id, "receipt", routeEmail)}
	order := []string{"recordInvoice", "receipt"}
	if charged {
		effects = append([]expectedEffect{stepEffect(id, "charge", routeCharge)}, effects...)
		order = append([]string{"charge"}, order...)
	}
	return &run{
		ID: id, Scenario: j.scenario, File: fileRenewal,
		Input: mustJSON(map[string]any{
			"subscriptionId": "sub-" + id, "customerId": "cus_" + id, "plan": plan, "price": price,
			"loyaltyYears": loyalty, "email": "subscriber@example.com", "billingWebhook": p.sandboxURL + "/webhooks/billing",
		}),
		Expect: expectation{
			Completed: true, Effects: effects, Order: [][]string{order},
			Check: func(v *runView) []string {
				var out struct {
					Charged  float64
					ChargeID *string
					Receipt  string
				}
				if problems := v.decode(&out); problems != nil {
					return problems
				}
				chargeID := "<none>"
				if out.ChargeID != nil {
					chargeID = *out.ChargeID
				}
				want := "<none>"
				if charged {
					want = v.object("charge")
				}
				return join(
					v.same("output charged", fmt.Sprint(out.Charged), fmt.Sprint(total)),
					v.same("output chargeId", chargeID, want),
					v.same("output receipt", out.Receipt, v.object("receipt")),
				)
			},
		},
	}
}

// The billing webhook is down for a paid renewal, longer than
// recordInvoice's retry budget: the run fails there, after its charge.
// Once the outage is over, the soak redrives it: the redrive reuses the
// charge (no call, no second charge), records the invoice under the
// original's key and sends the receipt, and reports the original's
// charge, as a renewal that went right does.
func planRenewalRedriven(p *planner, j *job) {
	r := p.renewalRun(j, p.pick("pro", "team"), []float64{9.99, 20, 49.5, 120}[p.rng.IntN(4)])
	redriveAfter(r, plannedFailure{Step: "recordInvoice", Status: http.StatusServiceUnavailable, Failure: []string{`step "recordInvoice"`, `"sandbox_fault"`}})
	j.runs = []*run{r}
}

// The provider refuses an order's charge (402), under the original's key
// only, and sometimes under the first redrive's key too: each refused run
// is redriven, charging under a key of its own (the root's with the
// redrive generation), until the charge goes through and the order
// completes as any order does, with one shipment and one email under the
// root's keys.
func planOrderRedriven(p *planner, j *job) {
	id := p.id(j, "")
	r := p.orderRun(j, "", "ord-"+id, "cus_"+id)
	refusal := func(gen int) plannedFailure {
		return plannedFailure{Step: "charge", Generation: gen, Status: http.StatusPaymentRequired, Failure: []string{`step "charge"`, "status 402"}}
	}
	failures := []plannedFailure{refusal(0)}
	if p.rng.IntN(3) == 0 {
		failures = append(failures, refusal(1))
	}
	redriveAfter(r, failures...)
	j.runs = []*run{r}
}

// order-approval: above the limit the run waits for the "approve" signal;
// then a charge, and in parallel one shipment per line (a foreach) and a
// receipt.
func (p *planner) approvalRun(j *job, amount float64, signal json.RawMessage, approvedBy string) *run {
	id := p.id(j, "")
	products := []string{"desk", "chair", "lamp", "shelf", "rug", "sofa"}
	lines := make([]string, 1+p.rng.IntN(len(products)))
	for i := range lines {
		lines[i] = products[p.rng.IntN(len(products))]
	}
	effects := []expectedEffect{
		{Label: "charge", Key: key(id, step("charge")), Route: routeCharge},
		{Label: "receipt", Key: key(id, step("receipt")), Route: routeEmail},
	}
	order := [][]string{{"charge", "receipt"}}
	for i := range lines {
		label := fmt.Sprintf("ship[%d]", i)
		effects = append(effects, expectedEffect{Label: label, Key: key(id, step("lines"), rea.Index(i), step("ship")), Route: routeShip})
		order = append(order, []string{"charge", label})
	}
	return &run{
		ID: id, Scenario: j.scenario, File: fileApproval, Signal: signal,
		Input: mustJSON(map[string]any{
			"orderId": "ord-" + id, "customerId": "cus_" + id, "amount": amount,
			"address": fmt.Sprintf("%d Loop Road", 1+p.rng.IntN(99)), "email": "buyer@example.com", "lines": lines,
		}),
		Expect: expectation{
			Completed: true, Effects: effects, Order: order,
			Check: func(v *runView) []string {
				var out struct {
					ApprovedBy string
					ChargeID   string
					Tracking   []string
				}
				if problems := v.decode(&out); problems != nil {
					return problems
				}
				problems := join(
					v.same("output approvedBy", out.ApprovedBy, approvedBy),
					v.same("output chargeId", out.ChargeID, v.object("charge")),
					v.same("output tracking count", fmt.Sprint(len(out.Tracking)), fmt.Sprint(len(lines))),
				)
				for i := range min(len(out.Tracking), len(lines)) {
					problems = append(problems, v.same(fmt.Sprintf("output tracking[%d]", i), out.Tracking[i], v.tracking(fmt.Sprintf("ship[%d]", i)))...)
				}
				return problems
			},
		},
	}
}

func planApprovalAuto(p *planner, j *job) {
	j.runs = []*run{p.approvalRun(j, p.amount(5, 1000), nil, "not needed")}
}

func planApprovalSignal(p *planner, j *job) {
	j.runs = []*run{p.approvalRun(j, p.amount(1001, 9000), mustJSON(map[string]any{"approved": true, "by": "chaos"}), "chaos")}
}

// Rejected by the signal: the run fails before anything is charged.
func planApprovalRejected(p *planner, j *job) {
	r := p.approvalRun(j, p.amount(1001, 9000), mustJSON(map[string]any{"approved": false, "by": "chaos"}), "")
	r.Expect = expectation{Failure: []string{"not_approved", "was not approved by chaos"}}
	j.runs = []*run{r}
}

// Every line's address is undeliverable: the first shipment refused fails
// its foreach, which fails the parallel and cancels the receipt if it is
// not sent yet, and the run refunds the charge, exactly once. Which other
// items got to their provider before the cancellation depends on timing,
// so their refusals are optional.
func planApprovalUndeliverable(p *planner, j *job) {
	r := p.approvalRun(j, p.amount(5, 1000), nil, "")
	var in map[string]any
	if err := json.Unmarshal(r.Input, &in); err != nil {
		panic(err)
	}
	in["address"] = fmt.Sprintf("%d INVALID Road", 1+p.rng.IntN(99))
	r.Input = mustJSON(in)
	effects := []expectedEffect{
		{Label: "charge", Key: key(r.ID, step("charge")), Route: routeCharge},
		{Label: "receipt", Key: key(r.ID, step("receipt")), Route: routeEmail, Optional: true},
		{Label: "undo charge", Key: key(r.ID, step("charge"), undo), Route: routeRefund, Compensation: true},
	}
	order := [][]string{{"charge", "undo charge"}}
	for _, e := range r.Expect.Effects {
		if strings.HasPrefix(e.Label, "ship[") {
			e.Status, e.Optional = statusUnprocessed, true
			effects = append(effects, e)
			order = append(order, []string{"charge", e.Label})
		}
	}
	r.Expect = expectation{
		Failure: []string{"invalid_address", "compensated: charge"},
		Effects: effects,
		Order:   order,
		Check: func(v *runView) []string {
			return v.same("undo charge refunds", v.requestField("undo charge", "chargeId"), v.object("charge"))
		},
	}
	j.runs = []*run{r}
}

// trip-booking, the saga: deposit, flight, hotel, car, confirmation.
func (p *planner) tripRun(j *job, car string) (*run, string) {
	id := p.id(j, "")
	return &run{
		ID: id, Scenario: j.scenario, File: fileTrip,
		Input: mustJSON(map[string]any{
			"tripId": "trip-" + id, "customer": "cus_" + id,
			"flight": p.pick("LH 400", "BA 117", "AF 22", "UA 901"), "hotel": p.pick("Hotel Adlon", "The Ritz", "Ryokan Kyo"),
			"car": car, "deposit": p.amount(50, 500), "email": "traveller@example.com",
		}),
	}, id
}

func planTrip(p *planner, j *job) {
	r, id := p.tripRun(j, p.pick("compact", "suv", "van", "convertible"))
	r.Expect = expectation{
		Completed: true,
		Effects: []expectedEffect{
			{Label: "deposit", Key: key(id, step("deposit")), Route: routeCharge},
			{Label: "flight", Key: key(id, step("flight")), Route: routeBook},
			{Label: "hotel", Key: key(id, step("hotel")), Route: routeBook},
			{Label: "car", Key: key(id, step("car")), Route: routeBook},
			{Label: "confirm", Key: key(id, step("confirm")), Route: routeEmail},
		},
		Order: [][]string{{"deposit", "flight", "hotel", "car", "confirm"}},
		Check: func(v *runView) []string {
			var out struct {
				Deposit  string
				Bookings []string
			}
			if problems := v.decode(&out); problems != nil {
				return problems
			}
			return join(
				v.same("output deposit", out.Deposit, v.object("deposit")),
				v.same("output bookings", strings.Join(out.Bookings, ","), strings.Join([]string{v.object("flight"), v.object("hotel"), v.object("car")}, ",")),
			)
		},
	}
	j.runs = []*run{r}
}

// The car is sold out: the catch handler tells the customer and fails the
// run, and the saga undoes the hotel, the flight and the deposit, in that
// order, each exactly once.
func planTripSoldOut(p *planner, j *job) {
	r, id := p.tripRun(j, "sold-out-"+p.pick("suv", "van", "limo"))
	r.Expect = expectation{
		Failure: []string{"sold_out", "compensated: hotel, flight, deposit"},
		Effects: []expectedEffect{
			{Label: "deposit", Key: key(id, step("deposit")), Route: routeCharge},
			{Label: "flight", Key: key(id, step("flight")), Route: routeBook},
			{Label: "hotel", Key: key(id, step("hotel")), Route: routeBook},
			{Label: "car", Key: key(id, step("car")), Route: routeBook, Status: statusUnprocessed},
			{Label: "tellSoldOut", Key: key(id, step("tellSoldOut")), Route: routeEmail},
			{Label: "undo hotel", Key: key(id, step("hotel"), undo), Route: routeCancelBook, Compensation: true},
			{Label: "undo flight", Key: key(id, step("flight"), undo), Route: routeCancelBook, Compensation: true},
			{Label: "undo deposit", Key: key(id, step("deposit"), undo), Route: routeRefund, Compensation: true},
		},
		Order: [][]string{{"deposit", "flight", "hotel", "car", "tellSoldOut", "undo hotel", "undo flight", "undo deposit"}},
		Check: func(v *runView) []string {
			return join(
				v.same("undo hotel cancels", v.path("undo hotel"), "/travel/bookings/"+v.object("hotel")+"/cancel"),
				v.same("undo flight cancels", v.path("undo flight"), "/travel/bookings/"+v.object("flight")+"/cancel"),
				v.same("undo deposit refunds", v.requestField("undo deposit", "chargeId"), v.object("deposit")),
			)
		},
	}
	j.runs = []*run{r}
}

// The run is cancelled at a random moment. Whatever it had done by then
// must be undone: every step with an applied effect is compensated exactly
// once, in reverse order, after the last step's effect, and the run's
// error lists those compensations. A run the cancellation reached too late
// completes with all its effects and no compensation.
func planTripCancelled(p *planner, j *job) {
	r, id := p.tripRun(j, p.pick("compact", "suv", "van"))
	r.CancelAfter = time.Duration(p.rng.IntN(1200)) * time.Millisecond
	steps := []string{"deposit", "flight", "hotel", "car"}
	routes := map[string]string{"deposit": routeCharge, "flight": routeBook, "hotel": routeBook, "car": routeBook}
	undoRoutes := map[string]string{"deposit": routeRefund, "flight": routeCancelBook, "hotel": routeCancelBook, "car": routeCancelBook}
	// Until the run has ended: what a cancellation too late to matter
	// leaves, so that the plan is complete without a ledger.
	r.Expect = expectation{Completed: true}
	r.Resolve = func(o *observation, l *sandbox.Ledger) expectation {
		if o.State.Result == "success" {
			e := expectation{Completed: true, Order: [][]string{{"deposit", "flight", "hotel", "car", "confirm"}}}
			for _, s := range steps {
				e.Effects = append(e.Effects, expectedEffect{Label: s, Key: key(id, step(s)), Route: routes[s]})
			}
			e.Effects = append(e.Effects, expectedEffect{Label: "confirm", Key: key(id, step("confirm")), Route: routeEmail})
			return e
		}
		e := expectation{Failure: []string{"cancel"}}
		var done []string
		for _, s := range steps {
			if len(l.EffectsFor(key(id, step(s)))) == 0 {
				break
			}
			done = append(done, s)
		}
		// The steps after the last one done have no effect: the check
		// that every effect has a step behind it finds one that does.
		forward := append([]string(nil), done...)
		var undone []string
		for i := len(done) - 1; i >= 0; i-- {
			s := done[i]
			e.Effects = append(e.Effects,
				expectedEffect{Label: s, Key: key(id, step(s)), Route: routes[s]},
				expectedEffect{Label: "undo " + s, Key: key(id, step(s), undo), Route: undoRoutes[s], Compensation: true})
			undone = append(undone, s)
			forward = append(forward, "undo "+s)
		}
		if len(done) == len(steps) {
			// Cancelled after the car: the confirmation may have gone out.
			e.Effects = append(e.Effects, expectedEffect{Label: "confirm", Key: key(id, step("confirm")), Route: routeEmail, Optional: true})
		}
		if len(undone) > 0 {
			e.Failure = append(e.Failure, "compensated: "+strings.Join(undone, ", "))
			e.Order = [][]string{forward}
		}
		return e
	}
	j.runs = []*run{r}
}
