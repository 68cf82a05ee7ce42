// Package builtin registers reaflow's built-in activities: charge and
// refund (payments), ship and cancelShipment (shipping), email, book and
// cancelBooking (travel), each a client of a provider's HTTP API, and http,
// a generic HTTP call.
//
// Register adds them to an activities.Registry. Provider base URLs and API
// keys come from options or from the REAFLOW_* environment variables. Every
// call sends the step's idempotency key as the Idempotency-Key header, so a
// provider that honours it applies an effect once however often the step's
// Run is retried.
package builtin
