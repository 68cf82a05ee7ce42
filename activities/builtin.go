package activities

import (
	"net/http"
	"os"
	"strings"
	"time"
)

// Environment variables that give the providers' base URLs when no
// BuiltinOption does. They are read once, by RegisterBuiltins. A provider
// left unset fails its activities with a retryable error naming the
// variable: the step waits, backing off, until the endpoint runs with the
// setting, rather than calling some default host or failing the run.
const (
	EnvPaymentsURL = "REAFLOW_PAYMENTS_URL" // for charge and refund, e.g. http://127.0.0.1:4010/payments
	EnvShippingURL = "REAFLOW_SHIPPING_URL" // for ship and cancelShipment, e.g. http://127.0.0.1:4010/shipping
	EnvEmailURL    = "REAFLOW_EMAIL_URL"    // for email, e.g. http://127.0.0.1:4010/email
	EnvTravelURL   = "REAFLOW_TRAVEL_URL"   // for book and cancelBooking, e.g. http://127.0.0.1:4010/travel
)

// DefaultHTTPTimeout bounds each built-in HTTP call unless WithHTTPClient
// supplies a client. A call that times out is retried by the step's policy.
const DefaultHTTPTimeout = 10 * time.Second

type builtinConfig struct {
	paymentsURL, shippingURL, emailURL, travelURL string
	client                                        *http.Client
	// keys and keyErrs are by provider name: the API key, or why the
	// environment's setting cannot be used.
	keys    map[string]secret
	keyErrs map[string]error
}

// BuiltinOption configures RegisterBuiltins.
type BuiltinOption func(*builtinConfig)

// WithPaymentsURL sets the payments provider's base URL, overriding
// REAFLOW_PAYMENTS_URL.
func WithPaymentsURL(url string) BuiltinOption {
	return func(c *builtinConfig) { c.paymentsURL = url }
}

// WithShippingURL sets the shipping provider's base URL, overriding
// REAFLOW_SHIPPING_URL.
func WithShippingURL(url string) BuiltinOption {
	return func(c *builtinConfig) { c.shippingURL = url }
}

// WithEmailURL sets the email provider's base URL, overriding
// REAFLOW_EMAIL_URL.
func WithEmailURL(url string) BuiltinOption {
	return func(c *builtinConfig) { c.emailURL = url }
}

// WithTravelURL sets the travel provider's base URL, overriding
// REAFLOW_TRAVEL_URL.
func WithTravelURL(url string) BuiltinOption {
	return func(c *builtinConfig) { c.travelURL = url }
}

// WithProviderURL points all four providers at one server that serves
// them under /payments, /shipping, /email and /travel, as the sandbox does.
func WithProviderURL(base string) BuiltinOption {
	base = strings.TrimSuffix(base, "/")
	return func(c *builtinConfig) {
		c.paymentsURL = base + "/payments"
		c.shippingURL = base + "/shipping"
		c.emailURL = base + "/email"
		c.travelURL = base + "/travel"
	}
}

// WithHTTPClient sets the client every built-in uses, including the http
// activity. Its Timeout replaces DefaultHTTPTimeout.
func WithHTTPClient(client *http.Client) BuiltinOption {
	return func(c *builtinConfig) { c.client = client }
}

// RegisterBuiltins registers the built-in activities on r:
//
//	charge          ChargeInput -> ChargeOutput                  (payments)
//	refund          RefundInput -> RefundOutput                  (payments)
//	ship            ShipInput -> ShipOutput                      (shipping)
//	cancelShipment  CancelShipmentInput -> CancelShipmentOutput  (shipping)
//	email           EmailInput -> EmailOutput                    (email)
//	book            BookInput -> BookOutput                      (travel)
//	cancelBooking   CancelBookingInput -> CancelBookingOutput    (travel)
//	http            HTTPInput -> HTTPOutput                      (any URL)
//
// Every call sends the step's idempotency key as the Idempotency-Key
// header, and the provider's API key, when one is configured (see
// EnvPaymentsAPIKey), as "Authorization: Bearer <key>". A failure that retrying may cure (network error, timeout, 408,
// 409, 429, 5xx) is returned as a plain error for the step's retry policy;
// any other 4xx is a terminal *Error whose Code is the provider's error
// code, such as "card_declined", "invalid_address" or "sold_out", or
// "http_<status>".
func RegisterBuiltins(r *Registry, opts ...BuiltinOption) {
	cfg := builtinConfig{
		paymentsURL: os.Getenv(EnvPaymentsURL),
		shippingURL: os.Getenv(EnvShippingURL),
		emailURL:    os.Getenv(EnvEmailURL),
		travelURL:   os.Getenv(EnvTravelURL),
		client:      &http.Client{Timeout: DefaultHTTPTimeout},
		keys:        map[string]secret{},
		keyErrs:     map[string]error{},
	}
	for name, variable := range apiKeyVariables {
		cfg.keys[name], cfg.keyErrs[name] = apiKeyFromEnv(variable, os.Getenv)
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	newProvider := func(name, baseURL, setting string) provider {
		return provider{name: name, baseURL: baseURL, setting: setting, client: cfg.client, key: cfg.keys[name], keyErr: cfg.keyErrs[name]}
	}
	pay := payments{newProvider("payments", cfg.paymentsURL, EnvPaymentsURL+" or use activities.WithPaymentsURL")}
	shp := shipping{newProvider("shipping", cfg.shippingURL, EnvShippingURL+" or use activities.WithShippingURL")}
	mail := email{newProvider("email", cfg.emailURL, EnvEmailURL+" or use activities.WithEmailURL")}
	trv := travel{newProvider("travel", cfg.travelURL, EnvTravelURL+" or use activities.WithTravelURL")}

	Register(r, "charge", pay.charge, WithDescription("Charge a customer through the payments provider."), WithErrors("card_declined", "parameter_invalid", "parameter_missing"))
	Register(r, "refund", pay.refund, WithDescription("Refund a charge, in full or in part."), WithErrors("resource_missing", "parameter_invalid"))
	Register(r, "ship", shp.ship, WithDescription("Create a shipment for an order."), WithErrors("invalid_address", "parameter_missing"))
	Register(r, "cancelShipment", shp.cancel, WithDescription("Cancel a shipment."), WithErrors("resource_missing"))
	Register(r, "email", mail.send, WithDescription("Send an email."), WithErrors("parameter_missing"))
	Register(r, "book", trv.book, WithDescription("Book a flight, a hotel or a car through the travel provider."), WithErrors("sold_out", "parameter_missing", "parameter_invalid"))
	Register(r, "cancelBooking", trv.cancel, WithDescription("Cancel a booking."), WithErrors("resource_missing"))
	Register(r, "http", httpCall(cfg.client), WithDescription("Make an HTTP request; JSON answers are parsed."))
}
