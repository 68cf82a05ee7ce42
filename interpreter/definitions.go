package interpreter

import (
	"fmt"
	"slices"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/rea"
)

// DefinitionsService is the registry of deployed definitions: a virtual
// object keyed by definition name, whose state holds every deployed
// version. Runs started from it pin the text like any other run, so
// deploying a new version never changes a run in flight.
const DefinitionsService = "ReaflowDefinitions"

// State keys of a definitions object.
const (
	versionsState = "versions"
	textState     = "text:" // + hash
)

// DeployRequest is the input of the Deploy handler.
type DeployRequest struct {
	Definition string `json:"definition"`
	File       string `json:"file,omitempty"`
}

// DefinitionVersion describes one deployed version.
type DefinitionVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Hash    string `json:"hash"`
	File    string `json:"file,omitempty"`
	// DeployedAt is when this content was first deployed.
	DeployedAt time.Time `json:"deployedAt"`
}

// DeployResult says what Deploy did.
type DeployResult struct {
	DefinitionVersion
	// Unchanged is true when the same content was already deployed.
	Unchanged bool `json:"unchanged"`
}

// deploy is the Deploy handler: it checks the definition as a run would,
// and records it as a new version unless the same content is there. A
// version label already used for other content is refused: the label must
// name one content, or `submit NAME@VERSION` would be ambiguous.
func (in *interpreter) deploy(ctx restate.ObjectContext, req DeployRequest) (DeployResult, error) {
	if err := in.authorizeDeploy(ctx); err != nil {
		return DeployResult{}, err
	}
	prog, err := in.load(req.Definition, req.File)
	if err != nil {
		return DeployResult{}, badRequest("invalid definition", err)
	}
	if prog.Name != restate.Key(ctx) {
		return DeployResult{}, restate.ToTerminalError(fmt.Errorf("definition %q deployed under the name %q: deploy it under its own name", prog.Name, restate.Key(ctx)), restate.WithErrorCode(codeBadRequest))
	}
	versions, err := restate.Get[[]DefinitionVersion](ctx, versionsState)
	if err != nil {
		return DeployResult{}, err
	}
	label := prog.Version
	if label == "" {
		label = prog.Hash[len("sha256:") : len("sha256:")+12]
	}
	for _, v := range versions {
		switch {
		case v.Hash == prog.Hash:
			return DeployResult{DefinitionVersion: v, Unchanged: true}, nil
		case v.Version == label:
			return DeployResult{}, restate.ToTerminalError(fmt.Errorf("%s version %s is already deployed with other content (%s); change \"version\" to deploy this one", prog.Name, label, v.Hash), restate.WithErrorCode(codeConflict))
		}
	}
	now, err := rea.NewDeterministicHelpers(ctx).Now()
	if err != nil {
		return DeployResult{}, err
	}
	v := DefinitionVersion{Name: prog.Name, Version: label, Hash: prog.Hash, File: req.File, DeployedAt: now}
	restate.Set(ctx, textState+prog.Hash, req)
	restate.Set(ctx, versionsState, append(versions, v))
	return DeployResult{DefinitionVersion: v}, nil
}

// versions is the Versions handler: the deployed versions, oldest first.
func versions(ctx restate.ObjectSharedContext, _ restate.Void) ([]DefinitionVersion, error) {
	return restate.Get[[]DefinitionVersion](ctx, versionsState)
}

// definition is the Get handler: the text of a version, by label or hash
// ("" for the latest deployed).
func definition(ctx restate.ObjectSharedContext, version string) (DeployRequest, error) {
	all, err := restate.Get[[]DefinitionVersion](ctx, versionsState)
	if err != nil {
		return DeployRequest{}, err
	}
	if len(all) == 0 {
		return DeployRequest{}, restate.ToTerminalError(fmt.Errorf("no definition named %q is deployed (reaflow deploy FILE deploys one)", restate.Key(ctx)), restate.WithErrorCode(codeNotFound))
	}
	i := len(all) - 1
	if version != "" {
		i = slices.IndexFunc(all, func(v DefinitionVersion) bool { return v.Version == version || v.Hash == version })
	}
	if i < 0 {
		labels := make([]string, len(all))
		for k, v := range all {
			labels[k] = v.Version
		}
		return DeployRequest{}, restate.ToTerminalError(fmt.Errorf("%s has no version %q; deployed: %v", restate.Key(ctx), version, labels), restate.WithErrorCode(codeNotFound))
	}
	return restate.Get[DeployRequest](ctx, textState+all[i].Hash)
}
