package interpreter

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"path"
	"slices"
	"strings"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
)

// DeployTokenHeader is the request header that carries the deploy token
// to the Deploy handler (see WithDeployToken). Restate hands a handler the
// headers its ingress was called with.
const DeployTokenHeader = "Reaflow-Deploy-Token"

// Codes of refusals by the run policy.
const (
	codeUnauthorized restate.Code = 401
	codeForbidden    restate.Code = 403
)

// runPolicy is what an endpoint lets callers of Restate's ingress run and
// deploy. The zero value lets them run and deploy anything.
type runPolicy struct {
	deployedOnly bool
	// allowed are path.Match patterns of the definition names that may
	// run; nil allows every name.
	allowed []string
	// deployToken is the SHA-256 of the deploy token, nil for none.
	deployToken []byte
}

// WithDeployedOnly makes Run refuse any definition that is not deployed
// (reaflow deploy, the ReaflowDefinitions registry), with a terminal
// error 403, before any step runs: the endpoint runs what was deployed,
// not whatever text a caller of the ingress sends. A definition counts as
// deployed when a deployed version has its content hash, so submitting a
// deployed file's text works as well as NAME@VERSION. The child runs of a
// deployed definition's workflow steps run as part of it.
//
// The policy is checked when a run starts; a run that started under
// another policy replays differently, so change the policy by registering
// the endpoint anew at another address and let the runs in flight finish
// on the old one.
func WithDeployedOnly() Option { return func(c *config) { c.policy.deployedOnly = true } }

// WithAllowedDefinitions makes Run start only deployed definitions whose
// name matches one of patterns (path.Match syntax: "order-*"), refusing
// others with a terminal error 403; a child run goes by the name of the
// deployed definition it is part of. It implies WithDeployedOnly: an
// inline definition's name is whatever its sender wrote. A malformed
// pattern matches no name.
func WithAllowedDefinitions(patterns ...string) Option {
	return func(c *config) {
		c.policy.deployedOnly = true
		c.policy.allowed = append(c.policy.allowed, patterns...)
	}
}

// WithDeployToken makes the Deploy handler of the definitions registry,
// and the handlers that change schedules, accept only requests whose
// DeployTokenHeader header is token, compared in constant time; any other
// is refused with a terminal error 401.
// Without a token anyone who can call the ingress can deploy, and so, with
// WithDeployedOnly, run whatever they deploy. An empty token is none.
func WithDeployToken(token string) Option {
	return func(c *config) {
		c.policy.deployToken = nil
		if token != "" {
			sum := sha256.Sum256([]byte(token))
			c.policy.deployToken = sum[:]
		}
	}
}

// DefinitionOrigin names the deployed definition a run's definition comes
// from. reaflow sets it on the child runs it starts, so that an endpoint
// that runs only deployed definitions can check that the child's text is
// part of a deployed one; a caller leaves it out, and it changes nothing
// on an endpoint that accepts any definition.
type DefinitionOrigin struct {
	// Name and Hash identify the deployed version.
	Name string `json:"name"`
	Hash string `json:"hash"`
	// Steps are the ids of the workflow steps that lead from the deployed
	// definition to the run's, outermost first; none for the deployed
	// definition itself.
	Steps []string `json:"steps,omitempty"`
}

// child is the origin of the child run that the workflow step id starts.
func (o *DefinitionOrigin) child(id string) *DefinitionOrigin {
	if o == nil {
		return nil
	}
	return &DefinitionOrigin{Name: o.Name, Hash: o.Hash, Steps: append(slices.Clone(o.Steps), id)}
}

// admit applies the run policy to a run of prog whose request named
// origin, and returns the origin its child runs carry: nil when the
// endpoint runs any definition. The registry is read with a call, so a
// replay admits the run as the first attempt did.
func (in *interpreter) admit(ctx restate.Context, prog *dsl.Program, origin *DefinitionOrigin) (*DefinitionOrigin, error) {
	policy := in.cfg.policy
	if !policy.deployedOnly {
		return nil, nil
	}
	if origin == nil {
		origin = &DefinitionOrigin{Name: prog.Name, Hash: prog.Hash}
	}
	if err := policy.checkName(origin.Name); err != nil {
		return nil, err
	}
	notDeployed := restate.ToTerminalError(fmt.Errorf("definition %q (%s) is not deployed, and this endpoint runs only deployed definitions (reaflow serve --deployed-only, interpreter.WithDeployedOnly): deploy it with 'reaflow deploy FILE' and submit it as NAME[@VERSION]",
		prog.Name, prog.Hash), restate.WithErrorCode(codeForbidden))
	deployed, err := restate.Object[DeployRequest](ctx, DefinitionsService, origin.Name, "Get").Request(origin.Hash)
	if err != nil {
		if restate.IsTerminalError(err) && restate.AsTerminalError(err).Code() == codeNotFound {
			return nil, notDeployed
		}
		return nil, err
	}
	text, file := deployed.Definition, deployed.File
	for _, id := range origin.Steps {
		parent, err := in.load(text, file)
		if err != nil {
			return nil, notDeployed
		}
		step, ok := parent.Step(id).(*dsl.WorkflowStep)
		if !ok {
			return nil, notDeployed
		}
		text, file = step.Definition, step.File
	}
	// The origin comes with the request, so the text it leads to must be
	// the run's own.
	if found, err := in.load(text, file); err != nil || found.Hash != prog.Hash {
		return nil, notDeployed
	}
	return origin, nil
}

// admitScheduled is the run policy's verdict on scheduling prog, given at
// create and update so a schedule that could never run is refused; each
// fired run passes the policy again in Run like any other run.
func (in *interpreter) admitScheduled(prog *dsl.Program) error {
	return in.cfg.policy.checkName(prog.Name)
}

// checkName refuses a definition whose name the allow list does not take.
func (p runPolicy) checkName(name string) error {
	if p.allowed == nil || slices.ContainsFunc(p.allowed, func(pattern string) bool {
		ok, _ := path.Match(pattern, name)
		return ok
	}) {
		return nil
	}
	return restate.ToTerminalError(fmt.Errorf("definition %q may not run on this endpoint: its name matches none of %s; add it to reaflow serve --allow-definitions (interpreter.WithAllowedDefinitions)",
		name, strings.Join(p.allowed, ", ")), restate.WithErrorCode(codeForbidden))
}

// authorizeRedrive protects what a redrive carries: outputs that stand in
// for the steps it does not run again, which a caller could otherwise
// write to skip a deployed definition's charge. Under the run policy a
// redrive is an operator's change, made with the deploy token.
func (in *interpreter) authorizeRedrive(ctx restate.Context) error {
	if !in.cfg.policy.deployedOnly {
		return nil
	}
	return in.authorizeDeploy(ctx)
}

// authorizeDeploy protects the changes to what an endpoint runs,
// deploying a definition, changing a schedule and redriving a run: with a
// deploy token, a request without it is refused.
func (in *interpreter) authorizeDeploy(ctx restate.Context) error {
	p := in.cfg.policy
	if p.deployToken == nil {
		return nil
	}
	var sent string
	for name, value := range ctx.Request().Headers.Iter() {
		// Header names are case-insensitive; Restate passes them on
		// lowercased.
		if strings.EqualFold(name, DeployTokenHeader) {
			sent = value
		}
	}
	if sent == "" {
		return restate.ToTerminalError(fmt.Errorf("refused: this endpoint takes deployments, schedule changes and redrives only with its deploy token, in the %s header: give it to reaflow deploy, schedule or redrive with --deploy-token-file FILE or REAFLOW_DEPLOY_TOKEN", DeployTokenHeader),
			restate.WithErrorCode(codeUnauthorized))
	}
	// Comparing digests takes the same time whatever the token's length.
	got := sha256.Sum256([]byte(sent))
	if subtle.ConstantTimeCompare(got[:], p.deployToken) != 1 {
		return restate.ToTerminalError(fmt.Errorf("refused: the %s header is not this endpoint's deploy token (the one reaflow serve --deploy-token-file reads)", DeployTokenHeader),
			restate.WithErrorCode(codeUnauthorized))
	}
	return nil
}
