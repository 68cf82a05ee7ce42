package interpreter

import (
	"encoding/json"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/activities"
	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/rea"
)

// Names of the Restate services New defines.
const (
	// WorkflowService runs definitions; its Run handler takes a RunRequest
	// and returns the workflow's output.
	WorkflowService = "Reaflow"
	// DedupService is keyed by dedup key; its exclusive Run handler runs a
	// step at most once per key.
	DedupService = "ReaflowDedup"
	// BlockService runs a parallel branch or a range of foreach items as a
	// child invocation of a run. It and DedupService are ingress-private:
	// only runs call them.
	BlockService = "ReaflowBlock"
)

// RunRequest is the input of the Reaflow workflow's Run handler. The
// definition is part of it so that it is journaled with the run: a run
// keeps interpreting the definition it started with, whatever is deployed
// later.
type RunRequest struct {
	// Definition is the text of the workflow definition, exactly as in its
	// file. It is a string rather than embedded JSON so that line:column
	// positions in errors match the file (embedded JSON is re-encoded on
	// the way) and so that malformed JSON still reaches the checks that
	// explain it.
	Definition string `json:"definition"`
	// Input is the run's input, checked against the definition's input
	// schema before any step runs.
	Input json.RawMessage `json:"input,omitempty"`
	// File names the definition in error messages.
	File string `json:"file,omitempty"`
	// Redrive makes the run continue a failed one, reusing what it
	// completed; nil for a new run.
	Redrive *Redrive `json:"redrive,omitempty"`
	// Origin is set by reaflow on the child runs it starts; see
	// DefinitionOrigin.
	Origin *DefinitionOrigin `json:"origin,omitempty"`
}

// DefaultRetry is the policy of steps without a retry block: retry until
// the activity succeeds or fails terminally, backing off from 100ms to 10s.
var DefaultRetry = rea.RunConfig{MaxRetries: rea.Unlimited, InitialDelay: 100 * time.Millisecond, MaxDelay: 10 * time.Second, BackoffFactor: 2}

type config struct {
	defaultRetry rea.RunConfig
	loadOptions  []dsl.Option
	cacheSize    int
	limits       limits
	// redriveWindow is the retention of finished runs; nil for
	// DefaultRedriveWindow.
	redriveWindow *time.Duration
	policy        runPolicy
}

// DefaultProgramCacheSize is how many compiled definitions the services
// keep unless WithProgramCacheSize says otherwise.
const DefaultProgramCacheSize = 256

// Option configures the services New returns.
type Option func(*config)

// WithDefaultRetry sets the retry policy of steps that have no retry block.
func WithDefaultRetry(rc rea.RunConfig) Option { return func(c *config) { c.defaultRetry = rc } }

// WithLoadOptions passes options (such as a size limit) to dsl.Load for
// every definition the service receives.
func WithLoadOptions(opts ...dsl.Option) Option {
	return func(c *config) { c.loadOptions = append(c.loadOptions, opts...) }
}

// WithProgramCacheSize sets how many compiled definitions are kept, most
// recently used first, so that runs do not compile their definition on
// every invocation attempt. Zero turns the cache off.
func WithProgramCacheSize(n int) Option { return func(c *config) { c.cacheSize = n } }

// New returns the Restate service definitions that run reaflow workflows
// with the activities of reg. Bind every one of them to the endpoint:
//
//	srv := server.NewRestate()
//	for _, def := range interpreter.New(reg) {
//		srv.Bind(def)
//	}
func New(reg *activities.Registry, opts ...Option) []restate.ServiceDefinition {
	cfg := config{defaultRetry: DefaultRetry, cacheSize: DefaultProgramCacheSize, limits: defaultLimits}
	for _, opt := range opts {
		opt(&cfg)
	}
	in := &interpreter{
		registry:    reg,
		cfg:         cfg,
		programs:    newProgramCache(cfg.cacheSize),
		loadOptions: append([]dsl.Option{dsl.WithActivities(reg.Has), dsl.WithActivityNames(reg.Names()...)}, cfg.loadOptions...),
	}
	// Only the entry points of callers are public. Run starts runs and
	// Signal delivers signals to them, each under the checks of the run
	// policy and the definition; the registry's Deploy checks the deploy
	// token, and its reads serve the CLI. Await, the block service and
	// the dedup object are called by runs only: through the ingress they
	// would let anyone interpret a block of their own outside any run,
	// park invocations on a run's signals, or record the outcome of a
	// dedup key that real runs then trust.
	private := restate.WithIngressPrivate(true)
	workflow := restate.NewWorkflow(WorkflowService, cfg.retention()...).
		Handler("Run", restate.NewWorkflowHandler(in.run)).
		Handler("Signal", restate.NewWorkflowSharedHandler(in.signal)).
		Handler("Await", restate.NewWorkflowSharedHandler(await, private))
	block := restate.NewService(BlockService, private).
		Handler("Run", restate.NewServiceHandler(in.block))
	definitions := restate.NewObject(DefinitionsService).
		Handler("Deploy", restate.NewObjectHandler(in.deploy)).
		Handler("Versions", restate.NewObjectSharedHandler(versions)).
		Handler("Get", restate.NewObjectSharedHandler(definition))
	lineage := restate.NewObject(LineageService, restate.WithIngressPrivate(true)).
		Handler("Claim", restate.NewObjectHandler(claimLineage))
	return append([]restate.ServiceDefinition{workflow, block, rea.NewDedupObject(DedupService, in.runDeduped, declaredByActivity), definitions, lineage}, in.scheduleServices()...)
}

// interpreter is shared by all runs and read-only after New.
type interpreter struct {
	registry    *activities.Registry
	cfg         config
	programs    *programCache
	loadOptions []dsl.Option
}
