package scenario

import (
	"strings"

	"github.com/reaflow/reaflow/dsl"
)

// Error is one problem of a scenario file, located as dsl locates the
// problems of a definition: file, line:column, JSON pointer, and the
// offending line under Snippet.
type Error = dsl.Error

// ErrorList is every problem found in a scenario file, in file order.
type ErrorList = dsl.ErrorList

// escapePointer escapes a key for use in a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
