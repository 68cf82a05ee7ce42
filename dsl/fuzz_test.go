package dsl_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

// FuzzLoad checks that no definition makes Load panic, that every error
// has a message, and that a loaded program's canonical form loads to the
// same hash.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.json")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		prog, err := dsl.Load("fuzz.json", data)
		if err != nil {
			for _, e := range err.(dsl.ErrorList) {
				if e.Message == "" {
					t.Fatalf("empty message: %#v", e)
				}
				_ = e.Snippet()
			}
			return
		}
		again, err := dsl.Load("canonical.json", prog.Canonical)
		if err != nil {
			t.Fatalf("canonical form does not load: %v\n%s", err, prog.Canonical)
		}
		if again.Hash != prog.Hash {
			t.Fatalf("canonical form hashes to %s, not %s", again.Hash, prog.Hash)
		}
	})
}
