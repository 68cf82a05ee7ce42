// Package readme checks that the Go programs the README shows keep
// building against the module, as a user copying them would build them.
package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// BuildProgram builds the first ```go block under the README heading
// (such as "## Custom activities") as a program of its own. A file list
// builds against the module of the working directory, so the program's
// imports resolve to this checkout.
func BuildProgram(t *testing.T, readmePath, heading string) {
	t.Helper()
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	program := regexp.MustCompile("(?s)" + regexp.QuoteMeta(heading) + "\n.*?```go\n(.*?)```").FindSubmatch(readme)
	if program == nil {
		t.Fatalf("README has no Go program under %q", heading)
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, program[1], 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "program"), main).CombinedOutput(); err != nil {
		t.Fatalf("the README's program under %q does not build: %v\n%s", heading, err, out)
	}
}
