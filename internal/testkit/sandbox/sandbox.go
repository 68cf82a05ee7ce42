package sandbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Sandbox is the fake provider server. It is an http.Handler; serve it with
// httptest.NewServer or Start. All methods are safe for concurrent use.
type Sandbox struct {
	mux *http.ServeMux

	// mu guards everything below. It is held while an effect is checked
	// against the idempotency records and applied, never while sleeping.
	mu            sync.Mutex
	rules         []*activeRule
	nextRuleID    int
	declined      map[string]bool
	records       map[string]*record // by idempotency key
	lastID        map[string]int     // by id prefix
	charges       map[string]*charge
	shipments     map[string]*shipment
	bookings      map[string]*booking
	effects       []Effect
	lastEffectSeq int
	callsByKey    map[string]int
	calls         int
}

// Option configures a Sandbox.
type Option func(*Sandbox)

// WithFaults installs fault rules from the start, as if posted to
// /sandbox/faults. It panics on an invalid rule: that is a bug in the test.
func WithFaults(rules ...FaultRule) Option {
	return func(s *Sandbox) {
		if err := s.addRules(rules); err != nil {
			panic("sandbox: " + err.Error())
		}
	}
}

// WithDeclinedCustomers makes every charge for these customers a card
// decline, in addition to customers whose id starts with "cus_declined".
func WithDeclinedCustomers(customers ...string) Option {
	return func(s *Sandbox) {
		for _, c := range customers {
			s.declined[c] = true
		}
	}
}

// New returns a Sandbox with no effects and the given options applied.
func New(opts ...Option) *Sandbox {
	s := &Sandbox{
		mux:        http.NewServeMux(),
		declined:   map[string]bool{},
		records:    map[string]*record{},
		lastID:     map[string]int{},
		charges:    map[string]*charge{},
		shipments:  map[string]*shipment{},
		bookings:   map[string]*booking{},
		callsByKey: map[string]int{},
	}
	for _, opt := range opts {
		opt(s)
	}
	s.routes()
	return s
}

func (s *Sandbox) routes() {
	s.mux.HandleFunc("POST /payments/charges", s.provider("payments", s.createCharge))
	s.mux.HandleFunc("POST /payments/refunds", s.provider("payments", s.createRefund))
	s.mux.HandleFunc("POST /shipping/shipments", s.provider("shipping", s.createShipment))
	s.mux.HandleFunc("POST /shipping/shipments/{id}/cancel", s.provider("shipping", s.cancelShipment))
	s.mux.HandleFunc("POST /email/messages", s.provider("email", s.sendEmail))
	s.mux.HandleFunc("POST /travel/bookings", s.provider("travel", s.createBooking))
	s.mux.HandleFunc("POST /travel/bookings/{id}/cancel", s.provider("travel", s.cancelBooking))
	s.mux.HandleFunc("POST /webhooks/{name}", s.provider("webhooks", s.receiveWebhook))

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /sandbox/ledger", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Ledger())
	})
	s.mux.HandleFunc("DELETE /sandbox/ledger", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetLedger()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /sandbox/faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	s.mux.HandleFunc("POST /sandbox/faults", s.postFaults)
	s.mux.HandleFunc("DELETE /sandbox/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Start serves the sandbox on addr (for example "127.0.0.1:4010"; empty
// means a free loopback port) until ctx is done, and returns the base URL,
// such as "http://127.0.0.1:4010". Provider URLs are the base URL plus
// "/payments", "/shipping", "/email" or "/travel".
func (s *Sandbox) Start(ctx context.Context, addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: listen: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // Serve always returns ErrServerClosed after Close.
	// Close, not Shutdown: a handler holding a response after an effect must
	// not keep the server alive once the test is over.
	context.AfterFunc(ctx, func() { srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// nextID returns the next readable id for prefix, such as "ch_000001".
// The caller holds s.mu.
func (s *Sandbox) nextID(prefix string) string {
	s.lastID[prefix]++
	return fmt.Sprintf("%s%06d", prefix, s.lastID[prefix])
}

// apiError is the error object every provider answers with, shaped like
// Stripe's.
type apiError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorBody(typ, code, format string, args ...any) map[string]apiError {
	return map[string]apiError{"error": {Type: typ, Code: code, Message: fmt.Sprintf(format, args...)}}
}

func writeError(w http.ResponseWriter, status int, typ, code, format string, args ...any) {
	writeJSON(w, status, errorBody(typ, code, format, args...))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeRaw(w, status, mustMarshal(v))
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte("\n"))
}

// sleep waits for d or until ctx is done, and reports whether the full
// time passed; a caller that went away ends the wait early.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
