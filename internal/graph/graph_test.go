package graph_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/internal/graph"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		workflow string
		states   graph.States
		golden   string
	}{
		{"order-approval.json", nil, "order-approval"},
		{"trip-booking.json", nil, "trip-booking"},
		{"trip-booking.json", graph.States{"deposit": "compensated", "flight": "compensated", "hotel": "compensated", "car": "caught", "tellSoldOut": "done", "giveUp": "failed"}, "trip-booking-run"},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("../../workflows", tt.workflow))
		require.NoError(t, err)
		prog, err := dsl.Load(tt.workflow, data)
		require.NoError(t, err)
		for _, format := range graph.Formats {
			t.Run(tt.golden+"."+string(format), func(t *testing.T) {
				var b bytes.Buffer
				require.NoError(t, graph.Render(&b, prog, format, tt.states))
				path := filepath.Join("testdata", tt.golden+"."+string(format))
				if *update {
					require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
					return
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test -update to create it")
				assert.Equal(t, string(want), b.String())
			})
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	prog, err := dsl.Load("t.json", []byte(`{"name": "t", "steps": [{"id": "a", "set": {"x": 1}}]}`))
	require.NoError(t, err)
	err = graph.Render(&bytes.Buffer{}, prog, "svg", nil)
	assert.EqualError(t, err, `unknown graph format "svg"; use one of: mermaid, dot`)
}
