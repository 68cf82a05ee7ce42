package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path"
	"strings"
	"time"
)

// FaultRule makes matching provider calls misbehave. Empty match fields
// match everything; the first rule that fires for a call (in the order the
// rules were added) applies, and a Sandbox-* header fault on the request
// comes before all rules.
//
// A typical rule, "the first 2 calls for each idempotency key on
// /payments/charges answer 503", in JSON:
//
//	{"path": "/payments/charges", "times": 2, "status": 503}
type FaultRule struct {
	// ID is set by the sandbox when the rule is added.
	ID int `json:"id,omitempty"`

	// Provider is "payments", "shipping", "email", "travel" or "webhooks".
	Provider string `json:"provider,omitempty"`
	// Path is a path.Match pattern on the URL path, such as
	// "/payments/charges", "/shipping/shipments/*/cancel" or
	// "/travel/bookings/bk_000002/cancel".
	Path           string `json:"path,omitempty"`
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// Customer matches the "customer" field of the request body.
	Customer string `json:"customer,omitempty"`

	// Times limits the rule to the first Times matching calls of each
	// idempotency key; 0 means every matching call.
	Times int `json:"times,omitempty"`
	// Probability, if set, fires the rule on that fraction of matching
	// calls, drawn from a generator seeded with Seed, so a given sequence
	// of calls always sees the same faults.
	Probability float64 `json:"probability,omitempty"`
	Seed        uint64  `json:"seed,omitempty"`

	// Latency delays the call before anything else happens.
	Latency Duration `json:"latency,omitempty"`
	// Status answers this HTTP status instead of processing the call. An
	// injected 429 carries Retry-After: 1.
	Status int `json:"status,omitempty"`
	// Drop closes the connection without answering. Note that Go's
	// http.Transport resends a request carrying an Idempotency-Key once,
	// by itself, when a reused keep-alive connection drops, so a Go caller
	// may never see the drop; the ledger counts both calls.
	Drop bool `json:"drop,omitempty"`
	// AfterEffect applies the effect (and stores its answer under the
	// key) before failing with Status (500 if unset) or Drop: a provider
	// that crashed between committing and answering.
	AfterEffect bool `json:"afterEffect,omitempty"`
	// HoldAfterEffect applies the effect, then waits this long before
	// answering, so a test can kill the caller while the call is in
	// flight after the effect.
	HoldAfterEffect Duration `json:"holdAfterEffect,omitempty"`
	// Decline makes a matching charge a card decline (402 card_declined)
	// and a matching booking sold out (422 sold_out): a real, stored,
	// replayable refusal rather than a transient fault. Only charges and
	// bookings look at it.
	Decline bool `json:"decline,omitempty"`
}

// check validates r and fills in defaults.
func (r *FaultRule) check() error {
	switch {
	case r.Status != 0 && (r.Status < 400 || r.Status > 599):
		return fmt.Errorf("status %d: faults answer a 4xx or 5xx status", r.Status)
	case r.Status != 0 && r.Drop:
		return errors.New("status and drop exclude each other")
	case r.Decline && (r.Status != 0 || r.Drop || r.AfterEffect):
		return errors.New("decline is an answer of its own: no status, drop or afterEffect with it")
	case r.HoldAfterEffect > 0 && (r.Status != 0 || r.Drop) && !r.AfterEffect:
		return errors.New("holdAfterEffect with status or drop needs afterEffect: otherwise there is no effect to hold after")
	case r.Times < 0:
		return fmt.Errorf("times %d is negative", r.Times)
	case r.Probability < 0 || r.Probability > 1:
		return fmt.Errorf("probability %v is not between 0 and 1", r.Probability)
	case r.Latency < 0 || r.HoldAfterEffect < 0:
		return errors.New("durations must not be negative")
	case r.Path != "":
		if _, err := path.Match(r.Path, "/"); err != nil {
			return fmt.Errorf("path %q: %v", r.Path, err)
		}
	}
	if r.Status == 0 && !r.Drop && !r.AfterEffect && !r.Decline && r.Latency == 0 && r.HoldAfterEffect == 0 {
		return errors.New("the rule does nothing: set status, drop, afterEffect, holdAfterEffect, decline or latency")
	}
	if r.AfterEffect && !r.Drop && r.Status == 0 {
		r.Status = http.StatusInternalServerError
	}
	return nil
}

func (r *FaultRule) matches(provider string, req *http.Request, key string, fields map[string]any) bool {
	if r.Provider != "" && r.Provider != provider {
		return false
	}
	if r.Path != "" {
		if ok, _ := path.Match(r.Path, req.URL.Path); !ok {
			return false
		}
	}
	if r.IdempotencyKey != "" && r.IdempotencyKey != key {
		return false
	}
	if r.Customer != "" {
		if c, _ := fields["customer"].(string); c != r.Customer {
			return false
		}
	}
	return true
}

// AddFaults validates and installs rules, after those already installed.
// Either all are added or, on error, none.
func (s *Sandbox) AddFaults(rules ...FaultRule) error {
	return s.addRules(rules)
}

func (s *Sandbox) addRules(rules []FaultRule) error {
	active := make([]*activeRule, len(rules))
	for i, r := range rules {
		if err := r.check(); err != nil {
			return fmt.Errorf("fault rule %d: %w", i, err)
		}
		seed := r.Seed
		if seed == 0 {
			seed = 1
		}
		active[i] = &activeRule{FaultRule: r, firedByKey: map[string]int{}, rng: rand.New(rand.NewPCG(seed, seed))}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range active {
		s.nextRuleID++
		a.ID = s.nextRuleID
		s.rules = append(s.rules, a)
	}
	return nil
}

// Faults lists the installed rules.
func (s *Sandbox) Faults() []FaultRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	rules := make([]FaultRule, len(s.rules))
	for i, a := range s.rules {
		rules[i] = a.FaultRule
	}
	return rules
}

// ClearFaults removes every rule.
func (s *Sandbox) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
}

// postFaults takes one rule object or an array of rules. Unknown fields
// are rejected so that a misspelt rule fails loudly instead of never
// firing.
func (s *Sandbox) postFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "body_too_large", "read body: %v", err)
		return
	}
	var rules []FaultRule
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
		err = dec.Decode(&rules)
	} else {
		rules = make([]FaultRule, 1)
		err = dec.Decode(&rules[0])
	}
	if err == nil {
		err = s.addRules(rules)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "fault_rule_invalid", "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

// Duration is a time.Duration written in JSON as a string like "200ms".
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"200ms\": %s", b)
	}
	parsed, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(parsed)
	return nil
}
