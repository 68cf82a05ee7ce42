package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/interpreter"
)

// Client starts runs of any variant through Restate's ingress and waits
// for their output.
type Client struct {
	ingress     *ingress.Client
	input       json.RawMessage
	definitions map[definitionKey]string
}

type definitionKey struct {
	variant Variant
	steps   int
}

// NewClient returns a client for the ingress at url that keeps up to
// maxConcurrency connections open, so a closed loop reuses its connections
// instead of opening one per run.
func NewClient(url string, maxConcurrency int) (*Client, error) {
	input, err := json.Marshal(SampleOrder)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = maxConcurrency
	hc := &http.Client{Transport: transport}
	return &Client{
		ingress:     ingress.NewClient(url, ingress.WithHttpClient(hc)),
		input:       input,
		definitions: map[definitionKey]string{},
	}, nil
}

// Prepare generates the definitions of the interpreted variants for k
// steps, so that Run does no work but the call.
func (c *Client) Prepare(k int) error {
	for _, v := range Variants {
		if v == Baseline {
			continue
		}
		def, err := Definition(v, k)
		if err != nil {
			return err
		}
		c.definitions[definitionKey{v, k}] = string(def)
	}
	return nil
}

// Run runs variant v with k steps as the workflow id and returns its
// output. Interpreted variants need Prepare(k) first.
func (c *Client) Run(ctx context.Context, v Variant, k int, id string) (json.RawMessage, error) {
	if v == Baseline {
		return ingress.Workflow[BaselineRequest, json.RawMessage](c.ingress, BaselineService, id, "Run").
			Request(ctx, BaselineRequest{Steps: k, Input: SampleOrder})
	}
	def, ok := c.definitions[definitionKey{v, k}]
	if !ok {
		return nil, fmt.Errorf("no %s definition with %d steps prepared", v, k)
	}
	return ingress.Workflow[interpreter.RunRequest, json.RawMessage](c.ingress, interpreter.WorkflowService, id, "Run").
		Request(ctx, interpreter.RunRequest{Definition: def, Input: c.input, File: definitionName(v, k) + ".json"})
}

// Service is the Restate service that runs variant v.
func Service(v Variant) string {
	if v == Baseline {
		return BaselineService
	}
	return interpreter.WorkflowService
}
