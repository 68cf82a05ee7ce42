package clusterrun

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/rea"
)

// kind is one of the example workflows the scenario runs, with what its
// runs must produce.
type kind struct {
	name       string
	definition string
	// input is the example input from workflows/inputs, which each run
	// varies to make its ids and customers its own.
	input map[string]any
}

// kinds are the example workflows of the mix, in the order jobs cycle
// through them. order-approval runs below its approval limit, so no run
// waits for a signal.
var kindNames = []string{"order-fulfillment", "trip-booking", "order-approval", "subscription-renewal"}

func loadKinds(dir string) ([]*kind, error) {
	var kinds []*kind
	for _, name := range kindNames {
		def, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			return nil, fmt.Errorf("%w (point --workflows at the repository's workflows directory)", err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "inputs", name+".json"))
		if err != nil {
			return nil, err
		}
		k := &kind{name: name, definition: string(def)}
		if err := json.Unmarshal(raw, &k.input); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "inputs", name+".json"), err)
		}
		kinds = append(kinds, k)
	}
	return kinds, nil
}

// job is one workflow run of the scenario.
type job struct {
	kind  *kind
	id    string
	input map[string]any
	// key is the run's own business id (order, trip or subscription).
	key string
	// The driver fills in what happened.
	outcome
}

// newJob makes run number i of phase: ids, orders and customers unique
// to the run, everything else as in the example input.
func newJob(k *kind, phase string, i int, sandboxURL string) *job {
	j := &job{kind: k, id: fmt.Sprintf("%s-%s-%04d", k.name, phase, i), input: map[string]any{}}
	for name, v := range k.input {
		j.input[name] = v
	}
	customer := fmt.Sprintf("cus_%s_%04d", phase, i)
	j.key = fmt.Sprintf("%s-%04d", phase, i)
	switch k.name {
	case "order-fulfillment":
		j.input["orderId"], j.input["customerId"] = "order-"+j.key, customer
	case "trip-booking":
		// compact cars are never sold out in the sandbox: the saga runs
		// to its end without compensating.
		j.input["tripId"], j.input["customer"], j.input["car"] = "trip-"+j.key, customer, "compact"
	case "order-approval":
		j.input["orderId"], j.input["customerId"], j.input["amount"] = "order-"+j.key, customer, 250
	case "subscription-renewal":
		j.input["subscriptionId"], j.input["customerId"] = "sub-"+j.key, customer
		j.input["billingWebhook"] = sandboxURL + "/webhooks/billing"
	}
	return j
}

func (j *job) str(name string) string { s, _ := j.input[name].(string); return s }

// ledgerIndex finds a ledger's effects by idempotency key and shipments
// by order id.
type ledgerIndex struct {
	byKey      map[string][]sandbox.Effect
	shipmentOf map[string][]sandbox.Effect
}

func indexLedger(l sandbox.Ledger) ledgerIndex {
	ix := ledgerIndex{byKey: map[string][]sandbox.Effect{}, shipmentOf: map[string][]sandbox.Effect{}}
	for _, e := range l.Effects {
		ix.byKey[e.IdempotencyKey] = append(ix.byKey[e.IdempotencyKey], e)
		if e.Endpoint == "POST /shipping/shipments" {
			var req struct {
				OrderID string `json:"orderId"`
			}
			if json.Unmarshal(e.Request, &req) == nil {
				ix.shipmentOf[req.OrderID] = append(ix.shipmentOf[req.OrderID], e)
			}
		}
	}
	return ix
}

// effects returns the provider effects the run must have caused, each
// exactly once, by step: the key each is filed under and its effect.
// Problems name what is missing or doubled.
func (j *job) effects(ix ledgerIndex) (keys map[string]string, effects map[string]sandbox.Effect, problems []string) {
	keys, effects = map[string]string{}, map[string]sandbox.Effect{}
	step := func(name string, path ...rea.KeyPart) {
		keys[name] = rea.IdempotencyKey(j.id, path...)
	}
	switch j.kind.name {
	case "order-fulfillment":
		step("charge", rea.Step("charge"))
		step("notify", rea.Step("notify"))
		// ship runs through the dedup object, whose key comes from the
		// order id, not the run: find it by order.
		ships := ix.shipmentOf[j.str("orderId")]
		if len(ships) != 1 {
			problems = append(problems, fmt.Sprintf("%d shipments of order %s, want 1", len(ships), j.str("orderId")))
		} else {
			keys["ship"] = ships[0].IdempotencyKey
		}
	case "trip-booking":
		for _, s := range []string{"deposit", "flight", "hotel", "car", "confirm"} {
			step(s, rea.Step(s))
		}
	case "order-approval":
		step("charge", rea.Step("charge"))
		step("receipt", rea.Step("receipt"))
		for i := range j.lines() {
			step(fmt.Sprintf("ship[%d]", i), rea.Step("lines"), rea.Index(i), rea.Step("ship"))
		}
	case "subscription-renewal":
		for _, s := range []string{"charge", "recordInvoice", "receipt"} {
			step(s, rea.Step(s))
		}
	}
	for name, key := range keys {
		got := ix.byKey[key]
		if len(got) != 1 {
			problems = append(problems, fmt.Sprintf("step %s: %d effects under its key, want 1", name, len(got)))
			continue
		}
		if !got[0].Succeeded() {
			problems = append(problems, fmt.Sprintf("step %s: the provider refused it (%d %s)", name, got[0].Status, got[0].Summary))
		}
		effects[name] = got[0]
	}
	slices.Sort(problems)
	return keys, effects, problems
}

func (j *job) lines() []any { l, _ := j.input["lines"].([]any); return l }

// check compares the run's output with what its effects say it must be.
func (j *job) check(effects map[string]sandbox.Effect) []string {
	var out map[string]any
	if err := json.Unmarshal(j.output, &out); err != nil {
		return []string{fmt.Sprintf("output %s is not a JSON object", j.output)}
	}
	var problems []string
	want := func(field string, expected any) {
		got, _ := json.Marshal(out[field])
		exp, _ := json.Marshal(expected)
		if string(got) != string(exp) {
			problems = append(problems, fmt.Sprintf("output %s is %s, want %s", field, got, exp))
		}
	}
	id := func(step string) string { return effects[step].ObjectID }
	switch j.kind.name {
	case "order-fulfillment":
		want("orderId", j.str("orderId"))
		want("chargeId", id("charge"))
		want("emailId", id("notify"))
		want("tracking", tracking(effects["ship"]))
	case "trip-booking":
		want("tripId", j.str("tripId"))
		want("deposit", id("deposit"))
		want("bookings", []string{id("flight"), id("hotel"), id("car")})
	case "order-approval":
		want("orderId", j.str("orderId"))
		want("approvedBy", "not needed")
		want("chargeId", id("charge"))
		var parcels []string
		for i := range j.lines() {
			parcels = append(parcels, tracking(effects[fmt.Sprintf("ship[%d]", i)]))
		}
		want("tracking", parcels)
	case "subscription-renewal":
		want("subscriptionId", j.str("subscriptionId"))
		want("chargeId", id("charge"))
		want("receipt", id("receipt"))
		price, _ := j.input["price"].(float64)
		years, _ := j.input["loyaltyYears"].(float64)
		want("charged", math.Round(price*(1-math.Min(years*0.05, 0.25))*100)/100)
	}
	return problems
}

// tracking reads a shipment's tracking number from its ledger summary
// ("shipped order "o-1" as TRK000000001").
func tracking(e sandbox.Effect) string {
	_, after, ok := strings.Cut(e.Summary, " as ")
	if !ok {
		return ""
	}
	return after
}
