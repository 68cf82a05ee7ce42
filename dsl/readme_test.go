package dsl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/dsl"
)

// The README's examples are definitions or steps that must compile. A step
// example is checked alone, so its references to steps the example leaves
// out are the only errors allowed.
func TestREADMEExamplesCompile(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(readme, -1)
	require.NotEmpty(t, blocks)
	checked := 0
	for _, block := range blocks {
		dec := json.NewDecoder(bytes.NewReader(block[1]))
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
				break
			} else {
				require.NoError(t, err, "README json block:\n%s", block[1])
			}
			var probe map[string]any
			require.NoError(t, json.Unmarshal(raw, &probe))
			definition := raw
			if _, isStep := probe["id"]; isStep {
				definition = json.RawMessage(`{"name": "readme", "steps": [` + string(raw) + `]}`)
			} else if _, ok := probe["steps"]; !ok {
				continue // not a definition (an input, an output)
			}
			_, err := dsl.Load("README.md", definition, dsl.WithActivityNames("charge", "refund", "ship", "cancelShipment", "email", "book", "cancelBooking", "http"),
				dsl.WithFiles(func(string) ([]byte, error) {
					return []byte(`{"name": "child", "steps": [{"id": "a", "set": {"x": 1}}]}`), nil
				}))
			var list dsl.ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					if !strings.Contains(e.Message, "unknown step") {
						t.Errorf("README example %s: %s", raw, e.Error())
					}
				}
			} else {
				require.NoError(t, err)
			}
			checked++
		}
	}
	require.Greater(t, checked, 10)
}
