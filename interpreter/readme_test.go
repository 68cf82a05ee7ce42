package interpreter_test

import (
	"testing"

	"github.com/reaflow/reaflow/internal/testkit/readme"
)

// The README's "Custom activities" program is what a user copies into their
// own main.go: it must keep compiling against the public API.
func TestREADMECustomActivitiesProgramBuilds(t *testing.T) {
	readme.BuildProgram(t, "../README.md", "## Custom activities")
}
