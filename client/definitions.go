package client

import (
	"context"
	"errors"
	"regexp"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/interpreter"
)

// Deploy stores a definition in Restate as a new version of its name,
// unless the same content is deployed already (DeployResult.Unchanged);
// runs can then be submitted by NAME@VERSION. A version label already
// deployed with other content is refused. With WithDeployToken the token
// goes along in the Reaflow-Deploy-Token header.
func (c *Client) Deploy(ctx context.Context, definition []byte, file string) (*interpreter.DeployResult, error) {
	// The definition is deployed under its own name, which only its
	// text says.
	prog, err := dsl.Load(file, definition)
	if err != nil {
		return nil, err
	}
	opts := withDeployToken[ingress.RequestOption](c, nil)
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	res, err := ingress.Object[interpreter.DeployRequest, interpreter.DeployResult](c.ingress, interpreter.DefinitionsService, prog.Name, "Deploy").
		Request(ctx, interpreter.DeployRequest{Definition: string(definition), File: file}, opts...)
	if err != nil {
		return nil, c.unreachable(err)
	}
	return &res, nil
}

// Definitions returns the names of the deployed definitions, in order.
func (c *Client) Definitions(ctx context.Context) ([]string, error) {
	rows, err := c.admin.Query(ctx, `SELECT DISTINCT service_key FROM state WHERE service_name = '`+interpreter.DefinitionsService+`' ORDER BY service_key`)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, row := range rows {
		if name, ok := row["service_key"].(string); ok {
			names = append(names, name)
		}
	}
	return names, nil
}

// Versions returns the deployed versions of the definition name, oldest
// first; none when nothing of that name is deployed.
func (c *Client) Versions(ctx context.Context, name string) ([]interpreter.DefinitionVersion, error) {
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	versions, err := ingress.Object[restate.Void, []interpreter.DefinitionVersion](c.ingress, interpreter.DefinitionsService, name, "Versions").
		Request(ctx, restate.Void{})
	if err != nil {
		return nil, c.unreachable(err)
	}
	return versions, nil
}

// deployedRef matches NAME or NAME@VERSION.
var deployedRef = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_.-]*?)(?:@([^@/\\]+))?$`)

// IsDeployedRef tells whether ref has the form of a deployed definition's
// name, NAME or NAME@VERSION, as Definition and SubmitRequest.Deployed
// take it.
func IsDeployedRef(ref string) bool { return deployedRef.MatchString(ref) }

// Definition returns the text of a deployed definition: ref is NAME for
// its latest version or NAME@VERSION for a version label or a content
// hash. An unknown name or version is ErrNotFound.
func (c *Client) Definition(ctx context.Context, ref string) (*interpreter.DeployRequest, error) {
	m := deployedRef.FindStringSubmatch(ref)
	if m == nil {
		return nil, errors.New("a deployed definition is named NAME or NAME@VERSION, not " + ref)
	}
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	def, err := ingress.Object[string, interpreter.DeployRequest](c.ingress, interpreter.DefinitionsService, m[1], "Get").
		Request(ctx, m[2])
	var answer ingress.Error
	switch {
	case err == nil:
		return &def, nil
	case errors.As(err, &answer) && answer.IsInvocationError() && answer.Code() == 404:
		return nil, &NotFoundError{What: "definition", Name: ref, Message: err.Error()}
	}
	return nil, c.unreachable(err)
}

// Register tells Restate about a reaflow service endpoint (a `reaflow
// serve`, or an application's own server binding interpreter.New), so
// that runs reach it. With force an endpoint already registered at the
// URL is replaced even if its services changed, which can break runs in
// flight: for local stacks and tests, not production.
func (c *Client) Register(ctx context.Context, endpointURL string, force bool) error {
	return c.admin.RegisterDeployment(ctx, endpointURL, force)
}
