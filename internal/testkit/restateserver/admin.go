package restateserver

import (
	"context"
	"fmt"
)

// RegisterDeployment registers the service endpoint at endpointURL (an
// sdk-go server speaking h2c) with the admin API, replacing any earlier
// registration of the same URL, so its services can be invoked through the
// ingress.
func (s *Server) RegisterDeployment(ctx context.Context, endpointURL string) error {
	if err := s.admin.RegisterDeployment(ctx, endpointURL, true); err != nil {
		return fmt.Errorf("register deployment %s: %w", endpointURL, err)
	}
	return nil
}

// Query runs SQL against the admin introspection API (sys_invocation,
// sys_journal, ...; see the package doc) and returns the rows as decoded
// JSON objects: numbers are float64, timestamps RFC 3339 strings, and a
// NULL column is absent.
func (s *Server) Query(ctx context.Context, sql string) ([]map[string]any, error) {
	rows, err := s.admin.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", sql, err)
	}
	return rows, nil
}
