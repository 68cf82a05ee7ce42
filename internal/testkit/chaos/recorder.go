package chaos

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
)

// recorder wraps the sandbox providers and counts what their answers were,
// which the ledger alone does not tell: how many calls were answered from
// an idempotency record instead of applying an effect again (the
// duplicates the keys prevented), how many got an injected fault, and how
// many were abandoned because the caller died mid-call.
type recorder struct {
	next    http.Handler
	outages *outages

	mu       sync.Mutex
	replays  map[string]int // by idempotency key
	faults   map[int]int    // injected, by status
	aborted  int
	answered int
}

func newRecorder(next http.Handler) *recorder {
	return &recorder{next: next, outages: &outages{byKey: map[string]int{}}, replays: map[string]int{}, faults: map[int]int{}}
}

// outages are the planned failures of lineages (see plannedFailure): by
// idempotency key, the status every call answers until it is cleared.
// They are the sandbox's own per-request faults, set on the call, so
// that they come before the random fault rules (the first rule that
// fires applies, and an after-effect rule would apply the charge a
// refusal must refuse).
type outages struct {
	mu    sync.Mutex
	byKey map[string]int
}

func (o *outages) set(key string, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byKey[key] = status
}

func (o *outages) clear(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.byKey, key)
}

func (o *outages) status(key string) (int, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	status, ok := o.byKey[key]
	return status, ok
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !isProviderPath(r.URL.Path) {
		rc.next.ServeHTTP(w, r)
		return
	}
	if status, ok := rc.outages.status(r.Header.Get("Idempotency-Key")); ok {
		// The sandbox's per-request fault, which comes before its rules.
		r.Header.Set("Sandbox-Fail", strconv.Itoa(status))
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		rc.record(r.Header.Get("Idempotency-Key"), sw)
		// The sandbox drops connections by panicking with
		// http.ErrAbortHandler; let net/http see it.
		if v := recover(); v != nil {
			panic(v)
		}
	}()
	rc.next.ServeHTTP(sw, r)
}

func (rc *recorder) record(key string, sw *statusWriter) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch {
	case sw.status == 0:
		// The sandbox stops waiting when the caller goes away, and then
		// answers nothing.
		rc.aborted++
		return
	case sw.Header().Get("Idempotent-Replayed") == "true":
		rc.replays[key]++
	case sw.status >= 400 && bytes.Contains(sw.head, []byte(`"sandbox_fault"`)):
		rc.faults[sw.status]++
	}
	rc.answered++
}

// isProviderPath tells provider calls from the sandbox's own admin routes.
func isProviderPath(path string) bool {
	for _, p := range []string{"/payments/", "/shipping/", "/email/", "/travel/", "/webhooks/"} {
		if len(path) > len(p) && path[:len(p)] == p {
			return true
		}
	}
	return false
}

// recorded is a copy of what the recorder counted.
type recorded struct {
	Replays  map[string]int
	Faults   map[int]int
	Aborted  int
	Answered int
}

func (rc *recorder) snapshot() recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := recorded{Replays: map[string]int{}, Faults: map[int]int{}, Aborted: rc.aborted, Answered: rc.answered}
	for k, v := range rc.replays {
		out.Replays[k] = v
	}
	for k, v := range rc.faults {
		out.Faults[k] = v
	}
	return out
}

// statusWriter keeps the status and the start of the body of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if len(w.head) < 512 {
		w.head = append(w.head, b[:min(len(b), 512-len(w.head))]...)
	}
	return w.ResponseWriter.Write(b)
}
