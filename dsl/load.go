package dsl

import (
	"fmt"
	"slices"
)

// Defaults of the limits Load applies; each has an Option to change it.
// Definitions come from whoever can submit a run, and the server parses,
// compiles and evaluates them in its own process, so every cost has a
// bound that no hand-written workflow comes near.
const (
	// DefaultMaxSize bounds a definition's text, in bytes (WithMaxSize):
	// 1 MiB is far more than any hand-written workflow, and a bound keeps
	// a server from parsing whatever it is sent.
	DefaultMaxSize = 1 << 20
	// DefaultMaxDepth bounds the nesting of a definition, of a run's input
	// and of a signal's payload (WithMaxDepth): the tree walkers recurse.
	DefaultMaxDepth = 128
	// DefaultMaxExprNodes bounds the syntax tree of one expression
	// (WithMaxExprNodes); expressions are also at most 8 KiB long and at
	// most 10000 per definition.
	DefaultMaxExprNodes = 10000
	// DefaultEvalBudget bounds the work and memory of one evaluation of an
	// expression, in bytes, roughly (WithEvalBudget): 64 MiB takes well
	// under a second to spend, and no condition or mapping of a workflow
	// comes near it. See ErrEvalLimit.
	DefaultEvalBudget = 64 << 20
	// DefaultMaxValueSize bounds the value of one expression or template,
	// as JSON (WithMaxValueSize): 4 MiB, well below Restate's message
	// limits (a warning at 10 MiB, a refusal at 32 MiB by default), since
	// values travel in its messages.
	DefaultMaxValueSize = 4 << 20
)

// maxErrors bounds the errors Load reports; the rest are counted.
const maxErrors = 1000

// limits are what Load fixes for a program and its evaluations.
type limits struct {
	maxDepth     int
	maxExprNodes int
	evalBudget   int64
	maxValueSize int64
}

var defaultLimits = limits{maxDepth: DefaultMaxDepth, maxExprNodes: DefaultMaxExprNodes, evalBudget: DefaultEvalBudget, maxValueSize: DefaultMaxValueSize}

type config struct {
	limits
	known   func(name string) bool
	names   []string // listed in "unknown activity" messages
	errors  func(activity string) ([]string, bool)
	files   func(name string) ([]byte, error)
	maxSize int
	// including lists the files being loaded, outermost first, to refuse
	// a child definition that includes itself.
	including []string
}

// Option configures Load.
type Option func(*config)

// WithActivities makes Load reject activity names for which known returns
// false, such as a registry's Has method. Without WithActivities or
// WithActivityNames any name is accepted (the CLI can validate a file
// without knowing the server's registry).
func WithActivities(known func(name string) bool) Option {
	return func(c *config) { c.known = known }
}

// WithActivityNames makes Load reject activity names other than names,
// and lists names in the error so the author sees what is available.
// Combined with WithActivities, known decides and names are only listed.
func WithActivityNames(names ...string) Option {
	return func(c *config) {
		c.names = sortedUnique(names)
		if c.known == nil {
			set := make(map[string]bool, len(names))
			for _, n := range names {
				set[n] = true
			}
			c.known = func(name string) bool { return set[name] }
		}
	}
}

// WithActivityErrors tells Load which error codes each activity declares
// (such as a registry's Errors method; false when an activity may fail
// with any code). Load then warns about a catch handler for a code that
// neither an activity of the definition, a fail step, nor the interpreter
// (InterpreterErrors) can produce.
func WithActivityErrors(errors func(activity string) ([]string, bool)) Option {
	return func(c *config) { c.errors = errors }
}

// WithFiles lets workflow steps name their child definition by file:
// read returns the contents of a name as written in the definition (the
// CLI reads it relative to the including file). Load inlines the child, so
// the program's Canonical form is self-contained and a run pins the child
// too. Without WithFiles a file reference is an error: a server must not
// read files named by the definitions it is sent.
func WithFiles(read func(name string) ([]byte, error)) Option {
	return func(c *config) { c.files = read }
}

// WithMaxSize sets the largest definition Load accepts, in bytes.
func WithMaxSize(n int) Option {
	return func(c *config) { c.maxSize = n }
}

// WithMaxDepth sets how deeply a definition, and a run's input or a
// signal's payload checked by the program's schemas, may nest.
func WithMaxDepth(n int) Option {
	return func(c *config) { c.maxDepth = n }
}

// WithMaxExprNodes sets the most syntax nodes one expression may have.
func WithMaxExprNodes(n int) Option {
	return func(c *config) { c.maxExprNodes = n }
}

// WithEvalBudget sets what one evaluation of an expression may spend, in
// bytes of work and memory, roughly; past it the evaluation fails with
// ErrEvalLimit.
func WithEvalBudget(n int64) Option {
	return func(c *config) { c.evalBudget = n }
}

// WithMaxValueSize sets the largest value, as JSON, that one expression or
// template may produce; a larger one fails with ErrEvalLimit.
func WithMaxValueSize(n int64) Option {
	return func(c *config) { c.maxValueSize = n }
}

// Load parses, checks and compiles a workflow definition. file names it in
// messages. The checks run in order: the size limit, JSON syntax, the JSON
// Schema (see Schema), then the rules a schema cannot express (unique step
// ids, known activities, durations, references between steps, expression
// syntax and names). Every problem found is returned at once as an
// ErrorList; a syntax error or an oversized file stops the checks early.
//
// The returned Program holds every expression compiled; nothing is parsed
// or compiled while a run executes.
func Load(file string, data []byte, opts ...Option) (*Program, error) {
	cfg := config{maxSize: DefaultMaxSize, limits: defaultLimits}
	for _, opt := range opts {
		opt(&cfg)
	}
	if len(data) > cfg.maxSize {
		return nil, ErrorList{{File: file, Message: fmt.Sprintf("definition is %d bytes, more than the limit of %d bytes", len(data), cfg.maxSize)}}
	}
	doc, syntaxErr := parseDocument(file, data, cfg.maxDepth)
	if syntaxErr != nil {
		return nil, ErrorList{syntaxErr}
	}
	lim := cfg.limits
	c := &checker{doc: doc, cfg: &cfg, lim: &lim}
	c.checkSchema()
	prog := c.compile()
	c.checkCatches(prog)
	if len(c.errs) > 0 {
		c.errs.Sort()
		// Two checks may find the same problem (the schema and the
		// compiler both refuse an empty expression): say it once.
		c.errs = slices.CompactFunc(c.errs, func(a, b *Error) bool { return *a == *b })
		if len(c.errs) > maxErrors {
			// Thousands of errors help no one fix a file, and printing them
			// costs the server.
			more := len(c.errs) - maxErrors
			c.errs = append(c.errs[:maxErrors:maxErrors], &Error{File: file, Message: fmt.Sprintf("and %d more errors", more)})
		}
		return nil, c.errs
	}
	return prog, nil
}

func sortedUnique(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}
