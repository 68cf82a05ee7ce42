package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Ledger is what the providers saw and did.
type Ledger struct {
	// Effects lists every processed request in the order it was
	// processed, with increasing Seq: each applied effect and each stored
	// business refusal (a declined card, an invalid address, a sold-out
	// booking). Replays, injected failures and malformed requests are not
	// effects.
	Effects []Effect `json:"effects"`
	// Calls counts raw POSTs per idempotency key, including replays,
	// injected failures and rejected requests.
	Calls  map[string]int `json:"calls"`
	Totals Totals         `json:"totals"`
}

// Effect is one processed request.
type Effect struct {
	// Seq numbers the effects of a Sandbox from 1 in the order they were
	// applied, across all providers; it keeps counting after ResetLedger.
	Seq      int    `json:"seq"`
	Provider string `json:"provider"`
	// Endpoint is the route, such as "POST /shipping/shipments/{id}/cancel";
	// Path is the concrete URL path.
	Endpoint       string `json:"endpoint"`
	Path           string `json:"path"`
	IdempotencyKey string `json:"idempotencyKey"`
	// Status is the stored answer's status: 200 for an applied effect, 4xx
	// for a business refusal.
	Status int `json:"status"`
	// ObjectID is the created or changed object, empty for a refusal.
	ObjectID string `json:"objectId,omitempty"`
	Summary  string `json:"summary"`
	// Request is the request body as canonical JSON.
	Request json.RawMessage `json:"request,omitempty"`
	// Fault names the rule that failed or held the answer after this
	// effect was applied, if any.
	Fault string    `json:"fault,omitempty"`
	Time  time.Time `json:"time"`
}

// Succeeded reports whether the effect was applied rather than refused.
func (e Effect) Succeeded() bool { return e.Status >= 200 && e.Status < 300 }

// Totals sums up a ledger.
type Totals struct {
	// Calls counts every raw provider POST, with or without a key.
	Calls     int `json:"calls"`
	Effects   int `json:"effects"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// ByEndpoint splits the effects by route.
	ByEndpoint map[string]EndpointTotals `json:"byEndpoint"`
}

// EndpointTotals counts one route's effects.
type EndpointTotals struct {
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
}

// Ledger returns a copy of the ledger.
func (s *Sandbox) Ledger() Ledger {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := Ledger{
		Effects: slices.Clone(s.effects),
		Calls:   maps.Clone(s.callsByKey),
		Totals:  Totals{Calls: s.calls, Effects: len(s.effects), ByEndpoint: map[string]EndpointTotals{}},
	}
	if l.Effects == nil {
		l.Effects = []Effect{}
	}
	for _, e := range s.effects {
		t := l.Totals.ByEndpoint[e.Endpoint]
		if e.Succeeded() {
			t.Succeeded++
			l.Totals.Succeeded++
		} else {
			t.Failed++
			l.Totals.Failed++
		}
		l.Totals.ByEndpoint[e.Endpoint] = t
	}
	return l
}

// ResetLedger forgets effects and call counts. Stored idempotent answers,
// objects and fault rules stay, so a retry that arrives after the reset
// still replays instead of applying its effect a second time.
func (s *Sandbox) ResetLedger() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.effects = nil
	s.callsByKey = map[string]int{}
	s.calls = 0
}

// EffectsFor returns the effects recorded under an idempotency key.
func (l Ledger) EffectsFor(key string) []Effect {
	var out []Effect
	for _, e := range l.Effects {
		if e.IdempotencyKey == key {
			out = append(out, e)
		}
	}
	return out
}

// EffectsOn returns the effects of one route, such as
// "POST /travel/bookings/{id}/cancel" (see Effect.Endpoint), in the order
// they happened.
func (l Ledger) EffectsOn(endpoint string) []Effect {
	var out []Effect
	for _, e := range l.Effects {
		if e.Endpoint == endpoint {
			out = append(out, e)
		}
	}
	return out
}

// ObjectIDs returns the ObjectID of each effect, in order: for effects on
// a cancel route, the objects cancelled, in the order they were cancelled.
func ObjectIDs(effects []Effect) []string {
	ids := make([]string, len(effects))
	for i, e := range effects {
		ids[i] = e.ObjectID
	}
	return ids
}

// FetchLedger reads the ledger of a sandbox running at baseURL, for tests
// that run it in another process.
func FetchLedger(ctx context.Context, baseURL string) (Ledger, error) {
	var l Ledger
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/sandbox/ledger", nil)
	if err != nil {
		return l, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return l, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return l, fmt.Errorf("sandbox ledger: %s", resp.Status)
	}
	return l, json.NewDecoder(resp.Body).Decode(&l)
}
