package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

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
