package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxBody caps request bodies: every provider takes a small JSON object.
const maxBody = 64 << 10

// record is the answer stored under an idempotency key.
type record struct {
	endpoint string // method and path, such as "POST /payments/charges"
	request  string // the request body as canonical JSON
	status   int
	body     []byte
}

// call is one request as an endpoint sees it.
type call struct {
	r    *http.Request // for path values
	body []byte
	// decline is set by a fault rule that asks for a card decline.
	decline bool
}

// outcome is what an endpoint did with a request it processed. Refusals
// that depend on state (a declined card, an unknown charge) are outcomes
// too: they are stored and replayed like successes.
type outcome struct {
	status   int
	body     any
	objectID string
	summary  string
}

// refusal rejects a malformed request before any work starts. Like Stripe,
// the sandbox does not store it under the idempotency key, so the client
// can fix the request and send it again with the same key.
type refusal struct {
	code, message string
}

func refuse(code, format string, args ...any) *refusal {
	return &refusal{code: code, message: fmt.Sprintf(format, args...)}
}

// applyFunc performs an endpoint's effect. It runs with s.mu held.
type applyFunc func(c call) (outcome, *refusal)

// provider wraps an endpoint with what every provider POST goes through:
// call counting, the key check, fault injection and idempotent replay.
func (s *Sandbox) provider(name string, apply applyFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		callNumber := s.countCall(key)
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "body_too_large", "read body: %v", err)
			return
		}
		if key == "" {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "idempotency_key_missing", "every POST needs an Idempotency-Key header")
			return
		}
		canonical, fields, err := canonicalJSON(body)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "%v", err)
			return
		}
		f, err := s.pickFault(r, name, key, callNumber, fields)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "sandbox_header_invalid", "%v", err)
			return
		}
		if f != nil {
			if !sleep(r.Context(), f.Latency.Duration()) {
				return
			}
			if f.failsBeforeEffect() {
				f.answer(w)
				return
			}
		}

		status, resp, replayed := s.process(name, r, key, canonical, body, f, apply)

		if f != nil {
			// The effect is recorded: from here on a killed caller or a
			// dropped answer can no longer undo it, which is the window
			// crash tests aim at.
			if !sleep(r.Context(), f.HoldAfterEffect.Duration()) {
				return
			}
			if f.AfterEffect {
				f.answer(w)
				return
			}
		}
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		writeRaw(w, status, resp)
	}
}

// process replays the answer stored under key, or applies the effect and
// stores its answer, atomically.
func (s *Sandbox) process(provider string, r *http.Request, key, canonical string, body []byte, f *firedFault, apply applyFunc) (status int, resp []byte, replayed bool) {
	endpoint := r.Method + " " + r.URL.Path
	s.mu.Lock()
	defer s.mu.Unlock()

	if rec, ok := s.records[key]; ok {
		switch {
		case rec.endpoint != endpoint:
			return reuseError("Idempotency-Key %q was first used for %s, not %s", key, rec.endpoint, endpoint)
		case rec.request != canonical:
			return reuseError("Idempotency-Key %q was first used with another request body", key)
		}
		return rec.status, rec.body, true
	}

	out, ref := apply(call{r: r, body: body, decline: f != nil && f.Decline})
	if ref != nil {
		return http.StatusBadRequest, mustMarshal(errorBody("invalid_request_error", ref.code, "%s", ref.message)), false
	}
	resp = mustMarshal(out.body)
	s.records[key] = &record{endpoint: endpoint, request: canonical, status: out.status, body: resp}
	s.lastEffectSeq++
	e := Effect{
		Seq:            s.lastEffectSeq,
		Provider:       provider,
		Endpoint:       r.Pattern,
		Path:           r.URL.Path,
		IdempotencyKey: key,
		Status:         out.status,
		ObjectID:       out.objectID,
		Summary:        out.summary,
		Time:           time.Now().UTC(),
	}
	if canonical != "" {
		e.Request = json.RawMessage(canonical)
	}
	if f != nil && f.actsAfterEffect() {
		e.Fault = f.label
	}
	s.effects = append(s.effects, e)
	return out.status, resp, false
}

func reuseError(format string, args ...any) (int, []byte, bool) {
	return http.StatusUnprocessableEntity, mustMarshal(errorBody("idempotency_error", "idempotency_key_reuse", format, args...)), false
}

// countCall counts a raw call, whatever becomes of it, and returns how many
// calls its key has seen including this one.
func (s *Sandbox) countCall(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if key == "" {
		return 0
	}
	s.callsByKey[key]++
	return s.callsByKey[key]
}

// canonicalJSON re-encodes a JSON object with sorted keys and normalized
// numbers, so that two bodies that mean the same compare equal. An empty
// body is allowed and canonicalizes to "".
func canonicalJSON(body []byte) (string, map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil, nil
	}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil {
		return "", nil, fmt.Errorf("body must be a JSON object: %v", err)
	}
	if dec.More() {
		return "", nil, errors.New("body must hold exactly one JSON object")
	}
	canonical, err := json.Marshal(fields)
	if err != nil {
		return "", nil, err
	}
	return string(canonical), fields, nil
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the sandbox's own types and decoded JSON are encoded here.
		panic("sandbox: encode: " + err.Error())
	}
	return b
}
