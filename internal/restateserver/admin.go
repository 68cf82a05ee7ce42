package restateserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// RegisterDeployment registers the service endpoint at endpointURL (an
// sdk-go server speaking h2c) with the admin API, replacing any earlier
// registration of the same URL, so its services can be invoked through the
// ingress.
func (s *Server) RegisterDeployment(ctx context.Context, endpointURL string) error {
	body := map[string]any{"uri": endpointURL, "force": true}
	if err := s.admin(ctx, "/deployments", body, nil); err != nil {
		return fmt.Errorf("register deployment %s: %w", endpointURL, err)
	}
	return nil
}

// Query runs SQL against the admin introspection API (tables sys_invocation,
// sys_journal, state, ...; see the package doc) and returns the rows. Numbers
// come back as json.Number, so 64-bit values such as partition_key keep
// their precision; timestamps are RFC 3339 strings.
func (s *Server) Query(ctx context.Context, sql string) ([]map[string]any, error) {
	var rows []map[string]any
	if err := s.QueryInto(ctx, sql, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// QueryInto is Query decoding the rows into dst, a pointer to a slice of
// structs or maps; struct fields match columns by their json tags.
func (s *Server) QueryInto(ctx context.Context, sql string, dst any) error {
	var result struct {
		Rows json.RawMessage `json:"rows"`
	}
	if err := s.admin(ctx, "/query", map[string]string{"query": sql}, &result); err != nil {
		return fmt.Errorf("query %q: %w", sql, err)
	}
	dec := json.NewDecoder(bytes.NewReader(result.Rows))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("query %q: decode rows: %w", sql, err)
	}
	return nil
}

// admin POSTs body as JSON to the admin API and decodes a 2xx answer into
// out, if given. Any other status is an error carrying the response body.
func (s *Server) admin(ctx context.Context, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.AdminURL+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
