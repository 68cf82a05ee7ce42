package client_test

import (
	"testing"

	"github.com/reaflow/reaflow/internal/testkit/readme"
)

// The README's "Go client" program is what an application copies: it must
// keep compiling against the package.
func TestREADMEGoClientProgramBuilds(t *testing.T) {
	readme.BuildProgram(t, "../README.md", "## Go client")
}
