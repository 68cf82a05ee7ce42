// Package admin is a small client for Restate's admin API: registering a
// service endpoint and querying the introspection tables with SQL.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to one Restate admin URL.
type Client struct {
	URL string
	// Token, when set, is sent as a bearer token (a secured Restate).
	Token string
	HTTP  *http.Client
}

// New returns a client for the admin API at url.
func New(url, token string) *Client {
	return &Client{URL: strings.TrimRight(url, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// RegisterDeployment tells Restate about a service endpoint. With force, an
// endpoint already registered at the URL is replaced even if its services
// changed; Restate warns that this can break invocations in flight, so it
// suits local stacks and tests, not production.
func (c *Client) RegisterDeployment(ctx context.Context, endpointURL string, force bool) error {
	body, _ := json.Marshal(map[string]any{"uri": endpointURL, "force": force})
	return c.do(ctx, http.MethodPost, "/deployments", body, nil)
}

// Query runs a SQL query against the introspection tables (sys_invocation,
// sys_journal, ...) and returns the rows as JSON objects.
func (c *Client) Query(ctx context.Context, sql string) ([]map[string]any, error) {
	body, _ := json.Marshal(map[string]string{"query": sql})
	var result struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := c.do(ctx, http.MethodPost, "/query", body, &result); err != nil {
		return nil, err
	}
	return result.Rows, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("restate admin API at %s is not reachable (start one with 'reaflow dev', or set --admin / REAFLOW_ADMIN_URL): %w", c.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}
