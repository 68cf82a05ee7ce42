package builtin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
)

// Environment variables that give the providers' API keys, sent as
// "Authorization: Bearer <key>" with every call of the provider's
// built-in activities. Each may instead name a file holding the key, in
// the variable of the same name with the suffix _FILE (for example
// REAFLOW_PAYMENTS_API_KEY_FILE=/run/secrets/payments), as container
// platforms mount secrets. A provider without either gets no
// Authorization header (the sandbox needs none).
//
// Keys come only from the endpoint's configuration, never from a
// workflow's input or definition, and they never leave the process but
// in that header: no activity input or output holds one, so none reaches
// Restate's journal or state, and the error messages built from a
// provider's answer have any copy of the key replaced by "[redacted]"
// (a provider that echoes the header it refused would otherwise put the
// key in the journal).
const (
	EnvPaymentsAPIKey = "REAFLOW_PAYMENTS_API_KEY"
	EnvShippingAPIKey = "REAFLOW_SHIPPING_API_KEY"
	EnvEmailAPIKey    = "REAFLOW_EMAIL_API_KEY"
	EnvTravelAPIKey   = "REAFLOW_TRAVEL_API_KEY"
)

// fileSuffix turns a key's variable into the one naming its file.
const fileSuffix = "_FILE"

// apiKeyVariables are the key variables by provider name.
var apiKeyVariables = map[string]string{
	"payments": EnvPaymentsAPIKey,
	"shipping": EnvShippingAPIKey,
	"email":    EnvEmailAPIKey,
	"travel":   EnvTravelAPIKey,
}

// secret is a credential. It formats as "[redacted]" however it is
// printed (fmt's verbs, JSON, slog), so that a log line or an error that
// picks one up by mistake does not show it; only its use in a header
// reads the value. The value sits behind a function, so that printing a
// struct that holds a secret, which reflects past the String method,
// shows a function's address rather than the key.
type secret struct{ get func() string }

const redacted = "[redacted]"

func newSecret(value string) secret {
	if value == "" {
		return secret{}
	}
	return secret{get: func() string { return value }}
}

// value returns the key; "" for none.
func (s secret) value() string {
	if s.get == nil {
		return ""
	}
	return s.get()
}

func (secret) String() string               { return redacted }
func (secret) GoString() string             { return redacted }
func (secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (secret) LogValue() slog.Value         { return slog.StringValue(redacted) }

// redact replaces every copy of the secret in text.
func (s secret) redact(text string) string {
	v := s.value()
	if len(v) < 4 {
		// A key this short would be replaced inside ordinary words; no
		// real key is.
		return text
	}
	return strings.ReplaceAll(text, v, redacted)
}

// WithPaymentsAPIKey sets the payments provider's API key, overriding
// REAFLOW_PAYMENTS_API_KEY and its _FILE.
func WithPaymentsAPIKey(key string) Option {
	return func(c *config) { c.setKey("payments", key) }
}

// WithShippingAPIKey sets the shipping provider's API key, overriding
// REAFLOW_SHIPPING_API_KEY and its _FILE.
func WithShippingAPIKey(key string) Option {
	return func(c *config) { c.setKey("shipping", key) }
}

// WithEmailAPIKey sets the email provider's API key, overriding
// REAFLOW_EMAIL_API_KEY and its _FILE.
func WithEmailAPIKey(key string) Option {
	return func(c *config) { c.setKey("email", key) }
}

// WithTravelAPIKey sets the travel provider's API key, overriding
// REAFLOW_TRAVEL_API_KEY and its _FILE.
func WithTravelAPIKey(key string) Option {
	return func(c *config) { c.setKey("travel", key) }
}

// setKey sets a provider's key, over whatever the environment said.
func (c *config) setKey(provider, key string) {
	c.keys[provider], c.keyErrs[provider] = newSecret(key), nil
}

// apiKeyFromEnv reads the key a variable, or the file its _FILE variable
// names, gives; "" when neither is set. Errors name the variable and the
// file, never the key.
func apiKeyFromEnv(name string, getenv func(string) string) (secret, error) {
	value, file := getenv(name), getenv(name+fileSuffix)
	switch {
	case value != "" && file != "":
		return secret{}, fmt.Errorf("both %s and %s are set; set one", name, name+fileSuffix)
	case value != "":
		return newSecret(strings.TrimSpace(value)), nil
	case file == "":
		return secret{}, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return secret{}, fmt.Errorf("%s: cannot read %s: %v", name+fileSuffix, file, err)
	}
	key := strings.TrimSpace(string(data))
	if key == "" {
		return secret{}, fmt.Errorf("%s: %s is empty", name+fileSuffix, file)
	}
	return newSecret(key), nil
}

// WithAPIKeysFrom reads the API key settings (see EnvPaymentsAPIKey) with
// getenv instead of os.Getenv.
func WithAPIKeysFrom(getenv func(string) string) Option {
	return func(c *config) {
		for name, variable := range apiKeyVariables {
			c.keys[name], c.keyErrs[name] = apiKeyFromEnv(variable, getenv)
		}
	}
}

// CheckAPIKeys reports the API key settings of the environment that
// Register cannot use: a key file that cannot be read or is
// empty, or a key set both ways. A server should refuse to start with
// one, rather than have every call of the provider fail.
func CheckAPIKeys(getenv func(string) string) []error {
	var errs []error
	for _, provider := range []string{"payments", "shipping", "email", "travel"} {
		if _, err := apiKeyFromEnv(apiKeyVariables[provider], getenv); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// redactURL hides a password in a provider URL written into a message.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
