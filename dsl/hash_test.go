package dsl_test

import (
	"strings"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

func mustLoad(t testing.TB, def string) *dsl.Program {
	t.Helper()
	prog, err := dsl.Load("t.json", []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func TestHash(t *testing.T) {
	base := mustLoad(t, `{"name": "h", "version": "1", "steps": [{"id": "a", "activity": "http", "with": {"x": 1.50, "y": "<&>"}}]}`)
	if !strings.HasPrefix(base.Hash, "sha256:") || len(base.Hash) != len("sha256:")+64 {
		t.Fatalf("hash %q is not sha256:<hex>", base.Hash)
	}
	if want := `{"name":"h","steps":[{"activity":"http","id":"a","with":{"x":1.50,"y":"<&>"}}],"version":"1"}`; string(base.Canonical) != want {
		t.Errorf("canonical form:\ngot  %s\nwant %s", base.Canonical, want)
	}

	same := map[string]string{
		"reformatted and keys reordered": `{
			"steps": [ { "with": { "y": "<&>", "x": 1.50 }, "activity": "http", "id": "a" } ],
			"version": "1",
			"name": "h"
		}`,
		"$schema is not part of the identity": `{"$schema": "../schema.json", "name": "h", "version": "1", "steps": [{"id": "a", "activity": "http", "with": {"x": 1.50, "y": "<&>"}}]}`,
		"escapes decoded":                     `{"name": "\u0068", "version": "1", "steps": [{"id": "a", "activity": "http", "with": {"x": 1.50, "y": "\u003c&>"}}]}`,
		"its own canonical form":              string(base.Canonical),
	}
	for name, def := range same {
		if got := mustLoad(t, def).Hash; got != base.Hash {
			t.Errorf("%s: hash %s, want %s", name, got, base.Hash)
		}
	}

	different := map[string]string{
		"changed value":            `{"name": "h", "version": "1", "steps": [{"id": "a", "activity": "http", "with": {"x": 1.51, "y": "<&>"}}]}`,
		"number written otherwise": `{"name": "h", "version": "1", "steps": [{"id": "a", "activity": "http", "with": {"x": 1.5, "y": "<&>"}}]}`,
		"changed version":          `{"name": "h", "version": "2", "steps": [{"id": "a", "activity": "http", "with": {"x": 1.50, "y": "<&>"}}]}`,
	}
	for name, def := range different {
		if got := mustLoad(t, def).Hash; got == base.Hash {
			t.Errorf("%s: same hash as the original", name)
		}
	}
}
