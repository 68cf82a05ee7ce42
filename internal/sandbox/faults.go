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
	"strconv"
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

	// Provider is "payments", "shipping" or "email".
	Provider string `json:"provider,omitempty"`
	// Path is a path.Match pattern on the URL path, such as
	// "/payments/charges" or "/shipping/shipments/*/cancel".
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
	// Drop closes the connection without answering.
	Drop bool `json:"drop,omitempty"`
	// AfterEffect applies the effect (and stores its answer under the
	// key) before failing with Status (500 if unset) or Drop: a provider
	// that crashed between committing and answering.
	AfterEffect bool `json:"afterEffect,omitempty"`
	// HoldAfterEffect applies the effect, then waits this long before
	// answering, so a test can kill the caller while the call is in
	// flight after the effect.
	HoldAfterEffect Duration `json:"holdAfterEffect,omitempty"`
	// Decline makes a matching charge a card decline: a real, stored,
	// replayable 402 rather than a transient fault. Only charges look at
	// it.
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

// activeRule is an installed rule with its firing state.
type activeRule struct {
	FaultRule
	firedByKey map[string]int
	rng        *rand.Rand
}

// firedFault is the fault chosen for one call.
type firedFault struct {
	FaultRule
	label string // for the ledger and the error message
}

func (f *firedFault) failsBeforeEffect() bool {
	return (f.Status != 0 || f.Drop) && !f.AfterEffect
}

func (f *firedFault) actsAfterEffect() bool {
	return f.AfterEffect || f.HoldAfterEffect > 0
}

// answer writes the injected failure, or drops the connection.
func (f *firedFault) answer(w http.ResponseWriter) {
	if f.Drop {
		// net/http closes the connection without a response and logs
		// nothing for this value.
		panic(http.ErrAbortHandler)
	}
	typ := "api_error"
	switch {
	case f.Status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
		w.Header().Set("Retry-After", "1")
	case f.Status < 500:
		typ = "invalid_request_error"
	}
	writeError(w, f.Status, typ, "sandbox_fault", "%d injected by %s", f.Status, f.label)
}

// pickFault returns the fault for a call, or nil. callNumber counts the
// calls with this key so far, including this one.
func (s *Sandbox) pickFault(req *http.Request, provider, key string, callNumber int, fields map[string]any) (*firedFault, error) {
	// Headers, when present, replace the rules for this request.
	rule, err := headerRule(req.Header)
	if err != nil {
		return nil, err
	}
	if rule != nil {
		if rule.Times > 0 && callNumber > rule.Times {
			return nil, nil
		}
		return &firedFault{FaultRule: *rule, label: "Sandbox-* headers"}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rule := range s.rules {
		if !rule.matches(provider, req, key, fields) {
			continue
		}
		if rule.Times > 0 && rule.firedByKey[key] >= rule.Times {
			continue
		}
		if rule.Probability > 0 && rule.rng.Float64() >= rule.Probability {
			continue
		}
		rule.firedByKey[key]++
		return &firedFault{FaultRule: rule.FaultRule, label: fmt.Sprintf("rule %d", rule.ID)}, nil
	}
	return nil, nil
}

// headerRule reads the per-request fault headers, or returns nil if there
// are none. Times counts raw calls with the request's key, since headers
// carry no state between calls.
func headerRule(h http.Header) (*FaultRule, error) {
	var r FaultRule
	var found bool
	var err error
	if v := h.Get("Sandbox-Fail"); v != "" {
		found = true
		if v == "drop" {
			r.Drop = true
		} else if r.Status, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("Sandbox-Fail %q: want a status or \"drop\"", v)
		}
	}
	if v := h.Get("Sandbox-Fail-Times"); v != "" {
		if r.Times, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("Sandbox-Fail-Times %q: %v", v, err)
		}
	}
	if v := h.Get("Sandbox-Fail-After-Effect"); v != "" {
		found = true
		if r.AfterEffect, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("Sandbox-Fail-After-Effect %q: %v", v, err)
		}
	}
	for name, d := range map[string]*Duration{"Sandbox-Latency": &r.Latency, "Sandbox-Hold-After-Effect": &r.HoldAfterEffect} {
		if v := h.Get(name); v != "" {
			found = true
			parsed, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %v", name, v, err)
			}
			*d = Duration(parsed)
		}
	}
	if !found {
		return nil, nil
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("Sandbox-* headers: %v", err)
	}
	return &r, nil
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
