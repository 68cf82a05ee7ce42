// Package sandbox serves fake payments, shipping, email, travel and webhook
// providers that behave like real HTTP APIs in the ways reaflow's
// guarantees depend on: Stripe-style idempotency keys, terminal business
// errors, transient failures on demand, and a ledger of every call and
// effect, so tests can prove that a workflow applied each effect exactly
// once.
//
// # Providers
//
//	POST /payments/charges                {amount, currency?, customer}
//	POST /payments/refunds                {chargeId, amount?}
//	POST /shipping/shipments              {orderId, address, items?}
//	POST /shipping/shipments/{id}/cancel
//	POST /email/messages                  {to, subject, body}
//	POST /travel/bookings                 {kind, customer, item, amount?}
//	POST /travel/bookings/{id}/cancel
//	POST /webhooks/{name}                 any JSON (a billing system, a CRM, ...)
//
// Business refusals are terminal and look like the real thing: a charge for
// a customer whose id starts with "cus_declined" (or one named with
// WithDeclinedCustomers, or hit by a rule with "decline": true) answers 402
// {"error":{"type":"card_error","code":"card_declined",...}}; an empty
// address or one containing "INVALID" answers 422 invalid_address; an email
// address without "@" answers 422 invalid_recipient; a booking whose item
// contains "sold-out" (in any letter case), or one hit by a rule with
// "decline": true, answers 422
// {"error":{"type":"booking_error","code":"sold_out",...}};
// refunding or cancelling an unknown object answers 404 resource_missing.
//
// A booking's kind is "flight", "hotel" or "car", its item what is booked
// (a flight number, a hotel, a car class) and its optional amount a whole
// number of cents; it answers {id, kind, item, customer, amount?, status:
// "confirmed"}, and cancelling it {id, status: "cancelled"}.
//
// Object ids are counters per kind ("ch_000001", "shp_000001",
// "TRK000000001", "bk_000001"), so they are readable and deterministic for
// a given sequence of effects.
//
// # Idempotency
//
// Every POST must carry an Idempotency-Key header (400 otherwise). The
// first processed request under a key stores its answer, success or
// business refusal; a later request with the same key, method, path and
// JSON body gets that stored answer byte for byte (with the header
// Idempotent-Replayed: true) and applies nothing. The same key on another
// endpoint or with another body answers 422 idempotency_key_reuse. As with
// Stripe, requests refused as malformed (400) are not stored.
//
// The check and the effect happen atomically under one mutex, so a request
// that arrives while another with the same key is being processed waits
// for it and then replays its answer: the sandbox never answers 409.
// Stored answers are kept for the life of the Sandbox.
//
// # Faults
//
// Faults are injected per request with headers, or by rules (see
// FaultRule) given to New, or posted to /sandbox/faults as one JSON rule
// or an array of rules:
//
//	POST   /sandbox/faults   append rules, answer the current list
//	GET    /sandbox/faults   the current list
//	DELETE /sandbox/faults   remove all rules
//
// Integration tests use rules, since workflow activities cannot set
// headers. The request headers are for curl and unit tests:
//
//	Sandbox-Fail: 503                 answer 503 (or any status, or "drop")
//	Sandbox-Fail-Times: 2             ... only for the first 2 calls with this key
//	Sandbox-Fail-After-Effect: true   apply the effect first, then fail
//	Sandbox-Hold-After-Effect: 2s     apply the effect, wait, then answer
//	Sandbox-Latency: 200ms            wait before doing anything
//
// # Ledger
//
// GET /sandbox/ledger reports every effect in the order it happened, each
// with its sequence number, the raw call count per idempotency key
// (replays and injected failures included), and totals;
// DELETE /sandbox/ledger clears it. Clearing the ledger keeps the stored
// idempotent answers, so a late retry still replays instead of applying a
// second effect. In-process tests read the same data with Sandbox.Ledger,
// tests against another process with FetchLedger; Ledger.EffectsOn lists
// one route's effects in order, for example to check that a saga cancelled
// its bookings in reverse order, each once.
package sandbox
