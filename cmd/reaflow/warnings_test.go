package main

import (
	"encoding/json"
	"strings"
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

func TestValidateJSON(t *testing.T) {
	bad := writeFile(t, "bad.json", `{"name": "bad", "steps": [
  {"id": "pay", "activity": "chrage"}
]}`)
	r := reaflow(t, "validate", "--json", "../../workflows/trip-booking.json", "../../workflows/trip-booking.test.json", bad)
	assert.Equal(t, 1, r.code, "one file is invalid")
	assert.Empty(t, r.stderr[:strings.Index(r.stderr, "reaflow validate:")], "with --json the problems are in the JSON only")
	var results []validation
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &results))
	require.Len(t, results, 3)
	assert.Equal(t, validation{File: "../../workflows/trip-booking.json", OK: true, Name: "trip-booking", Version: "1.0.0", Hash: results[0].Hash, Steps: 5}, results[0])
	assert.True(t, results[1].OK)
	assert.Equal(t, "../../workflows/trip-booking.json", results[1].Definition)
	assert.False(t, results[2].OK)
	assert.Equal(t, []located{{File: bad, Line: 2, Column: 29, Pointer: "/steps/0/activity",
		Message: `unknown activity "chrage"; registered: book, cancelBooking, cancelShipment, charge, email, http, refund, ship`}}, results[2].Errors)
}
