package interpreter_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// The README's "Custom activities" program is what a user copies into their
// own main.go: it must keep compiling against the public API.
func TestREADMECustomActivitiesProgramBuilds(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	program := regexp.MustCompile("(?s)## Custom activities.*?```go\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, program, "README has no Go program under \"## Custom activities\"")
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(main, program[1], 0o644))
	// A file list builds against the module of the working directory, so
	// the program's imports resolve to this checkout.
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "server"), main).CombinedOutput()
	require.NoError(t, err, "the README's program does not build:\n%s", out)
}
