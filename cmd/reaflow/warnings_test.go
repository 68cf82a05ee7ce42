package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A catch for a code no built-in used by the definition declares is
// accepted with a warning naming the place and the possible codes.
func TestValidateWarnsAboutACatchThatCannotMatch(t *testing.T) {
	file := writeFile(t, "warn.json", `{"name": "warn", "steps": [
  {"id": "pay", "activity": "charge", "with": {"amount": 1},
   "catch": [{"errors": ["card_decliend"], "steps": [{"id": "sorry", "activity": "email", "with": {"to": "a@example.com"}}]}]}
]}`)
	r := reaflow(t, "validate", file)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "warn.json: ok")
	assert.Contains(t, r.stderr, `warning: `+file+`:3:26: /steps/0/catch/0/errors/0: no activity or fail step of this definition fails with "card_decliend"`)
	assert.Contains(t, r.stderr, `did you mean "card_declined"?`)
}
