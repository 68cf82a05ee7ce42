package builtin

import (
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/reaflow/reaflow/activities"
)

// Environment variables that give the providers' base URLs when no
// Option does. They are read once, by Register. A provider
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

type config struct {
	paymentsURL, shippingURL, emailURL, travelURL string
	client                                        *http.Client
	httpHosts                                     *HostList
	// keys and keyErrs are by provider name: the API key, or why the
	// environment's setting cannot be used.
	keys    map[string]secret
	keyErrs map[string]error
}

// Option configures Register.
type Option func(*config)

// WithPaymentsURL sets the payments provider's base URL, overriding
// REAFLOW_PAYMENTS_URL.
func WithPaymentsURL(url string) Option {
	return func(c *config) { c.paymentsURL = url }
}

// WithShippingURL sets the shipping provider's base URL, overriding
// REAFLOW_SHIPPING_URL.
func WithShippingURL(url string) Option {
	return func(c *config) { c.shippingURL = url }
}

// WithEmailURL sets the email provider's base URL, overriding
// REAFLOW_EMAIL_URL.
func WithEmailURL(url string) Option {
	return func(c *config) { c.emailURL = url }
}

// WithTravelURL sets the travel provider's base URL, overriding
// REAFLOW_TRAVEL_URL.
func WithTravelURL(url string) Option {
	return func(c *config) { c.travelURL = url }
}

// WithProviderURL points all four providers at one server that serves
// them under /payments, /shipping, /email and /travel, as the sandbox does.
func WithProviderURL(base string) Option {
	base = strings.TrimSuffix(base, "/")
	return func(c *config) {
		c.paymentsURL = base + "/payments"
		c.shippingURL = base + "/shipping"
		c.emailURL = base + "/email"
		c.travelURL = base + "/travel"
	}
}

// WithHTTPClient sets the client every built-in uses, including the http
// activity. Its Timeout replaces DefaultHTTPTimeout. The http activity
// dials through a dialer of its own, which checks every address before it
// connects, so the DialContext and DialTLSContext of an *http.Transport
// are not used by it; with a RoundTripper of another type, it checks
// URLs only, not the addresses their names resolve to.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) { c.client = client }
}

// Register registers the built-in activities on r:
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
// The http activity calls any host except a link-local address
// (169.254.0.0/16, where cloud metadata services answer, and fe80::/10),
// or only the hosts of WithHTTPAllowHosts; a refused URL, redirect or
// dialled address fails the step with the terminal error
// CodeHostNotAllowed before anything is sent.
//
// Every call sends the step's idempotency key as the Idempotency-Key
// header, and the provider's API key, when one is configured (see
// EnvPaymentsAPIKey), as "Authorization: Bearer <key>". A failure that retrying may cure (network error, timeout, 408,
// 409, 429, 5xx) is returned as a plain error for the step's retry policy;
// any other 4xx is a terminal *activities.Error whose Code is the provider's error
// code, such as "card_declined", "invalid_address" or "sold_out", or
// "http_<status>".
func Register(r *activities.Registry, opts ...Option) {
	cfg := config{
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
	pay := payments{newProvider("payments", cfg.paymentsURL, EnvPaymentsURL+" or use builtin.WithPaymentsURL")}
	shp := shipping{newProvider("shipping", cfg.shippingURL, EnvShippingURL+" or use builtin.WithShippingURL")}
	mail := email{newProvider("email", cfg.emailURL, EnvEmailURL+" or use builtin.WithEmailURL")}
	trv := travel{newProvider("travel", cfg.travelURL, EnvTravelURL+" or use builtin.WithTravelURL")}

	activities.Register(r, "charge", pay.charge, activities.WithDescription("Charge a customer through the payments provider."), activities.WithErrors("card_declined", "parameter_invalid", "parameter_missing"))
	activities.Register(r, "refund", pay.refund, activities.WithDescription("Refund a charge, in full or in part."), activities.WithErrors("resource_missing", "parameter_invalid"))
	activities.Register(r, "ship", shp.ship, activities.WithDescription("Create a shipment for an order."), activities.WithErrors("invalid_address", "parameter_missing"))
	activities.Register(r, "cancelShipment", shp.cancel, activities.WithDescription("Cancel a shipment."), activities.WithErrors("resource_missing"))
	activities.Register(r, "email", mail.send, activities.WithDescription("Send an email."), activities.WithErrors("parameter_missing"))
	activities.Register(r, "book", trv.book, activities.WithDescription("Book a flight, a hotel or a car through the travel provider."), activities.WithErrors("sold_out", "parameter_missing", "parameter_invalid"))
	activities.Register(r, "cancelBooking", trv.cancel, activities.WithDescription("Cancel a booking."), activities.WithErrors("resource_missing"))
	activities.Register(r, "http", httpCall(hostPolicy{allow: cfg.httpHosts}.client(cfg.client)), activities.WithDescription("Make an HTTP request; JSON answers are parsed."), activities.WithErrors(CodeHostNotAllowed))
}
