package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
)

// Func is a typed activity: it takes the step's rendered `with` value decoded
// into I and returns an output that becomes the step's output.
type Func[I, O any] func(ctx *Context, input I) (O, error)

// Registry maps activity names to functions. Build one with NewRegistry,
// fill it before serving, and do not change it afterwards: it is read
// concurrently by every run.
type Registry struct {
	entries map[string]*entry
}

type entry struct {
	name   string
	config config
	bind   func(input json.RawMessage) (Bound, error)
}

// Bound is an activity call whose input is decoded: calling it runs the
// activity with that input and returns the activity's output as JSON.
type Bound func(ctx *Context) (json.RawMessage, error)

type config struct {
	description string
	errors      []string
}

// Option configures a registered activity.
type Option func(*config)

// WithDescription documents what the activity does, for listings.
func WithDescription(text string) Option {
	return func(c *config) { c.description = text }
}

// WithErrors declares the codes of the terminal errors the activity
// returns (Error.Code), so that validation can warn about a catch handler
// for a code no activity of the definition declares. An activity that
// declares none may fail with any code.
func WithErrors(codes ...string) Option {
	return func(c *config) { c.errors = append(c.errors, codes...) }
}

// CommonErrors are the codes every activity can fail with: its input does
// not decode into its input type, or its output does not encode.
var CommonErrors = []string{"invalid_input", "invalid_output"}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{entries: map[string]*entry{}}
}

// Register adds fn under name. The input is decoded from the step's rendered
// `with` value with unknown fields rejected, so a typo in a definition fails
// the step terminally instead of being silently ignored. It panics if name
// is empty or already registered: both are programming errors in the
// program that builds the registry.
func Register[I, O any](r *Registry, name string, fn Func[I, O], opts ...Option) {
	if name == "" {
		panic("activities: Register with an empty name")
	}
	if _, dup := r.entries[name]; dup {
		panic(fmt.Sprintf("activities: activity %q registered twice", name))
	}
	e := &entry{name: name}
	for _, opt := range opts {
		opt(&e.config)
	}
	decode := func(raw json.RawMessage) (I, error) {
		var in I
		if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
			if err := decodeStrict(raw, &in); err != nil {
				return in, &Error{Code: "invalid_input", Message: fmt.Sprintf("activity %q: decode input: %v", name, err), Terminal: true, Err: err}
			}
		}
		return in, nil
	}
	e.bind = func(raw json.RawMessage) (Bound, error) {
		decoded, err := decode(raw)
		if err != nil {
			return nil, err
		}
		var used atomic.Bool
		return func(ctx *Context) (json.RawMessage, error) {
			in := decoded
			if used.Swap(true) {
				// An earlier call got the decoded value and may have
				// changed what it points to: this one gets its own.
				var err error
				if in, err = decode(raw); err != nil {
					return nil, err
				}
			}
			out, err := fn(ctx, in)
			if err != nil {
				return nil, err
			}
			encoded, err := json.Marshal(out)
			if err != nil {
				return nil, &Error{Code: "invalid_output", Message: fmt.Sprintf("activity %q: encode output: %v", name, err), Terminal: true, Err: err}
			}
			return encoded, nil
		}, nil
	}
	r.entries[name] = e
}

// Has reports whether an activity named name is registered.
func (r *Registry) Has(name string) bool {
	_, ok := r.entries[name]
	return ok
}

// Names lists the registered activity names in sorted order.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.entries))
	for name := range r.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Description returns what WithDescription set for name, or "".
func (r *Registry) Description(name string) string {
	if e, ok := r.entries[name]; ok {
		return e.config.description
	}
	return ""
}

// Errors returns the error codes the activity declares, with
// CommonErrors, and false when it declares none (or no activity has the
// name): its failures may then carry any code.
func (r *Registry) Errors(name string) ([]string, bool) {
	e, ok := r.entries[name]
	if !ok || e.config.errors == nil {
		return nil, false
	}
	return append(slices.Clone(CommonErrors), e.config.errors...), true
}

// Call runs the activity name with a JSON input and returns its JSON output.
// An unknown name is a terminal error.
func (r *Registry) Call(ctx *Context, name string, input json.RawMessage) (json.RawMessage, error) {
	call, err := r.Bind(name, input)
	if err != nil {
		return nil, err
	}
	return call(ctx)
}

// Bind does the first half of Call: it decodes input for the activity
// name, failing as Call fails for an unknown name or an input that does
// not decode, and returns the call of the activity with that input.
// Decoding is pure, so a caller can bind before the journaled Run that
// makes the call and keep only the activity's own work inside the Run.
// Every call of the Bound gets a value of its own: the first the one
// decoded here, later ones (a retry) a new decoding, since an activity may
// have modified its input.
func (r *Registry) Bind(name string, input json.RawMessage) (Bound, error) {
	e, ok := r.entries[name]
	if !ok {
		return nil, &Error{Code: "unknown_activity", Message: fmt.Sprintf("no activity named %q is registered", name), Terminal: true}
	}
	return e.bind(input)
}
