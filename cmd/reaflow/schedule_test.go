package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

// Every schedule command, the way a person types it.
func TestScheduleCommands(t *testing.T) {
	def := fmt.Sprintf("scheduled-%d", time.Now().UnixNano())
	file := writeFile(t, "def.json", fmt.Sprintf(`{"name": %q, "version": "1.0.0", "input": {"type": "object", "required": ["to"]},
  "steps": [{"id": "mail", "activity": "email", "with": {"to": "${ input.to }", "subject": "tick"}}]}`, def))
	r := reaflow(t, "deploy", file)
	require.Equal(t, 0, r.code, r.stderr)
	name := "cli-" + def

	r = reaflow(t, "schedule", "create", name, "--workflow", def+"@1.0.0", "--cron", "30 2 * * *", "--timezone", "Mars/Base")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `time zone "Mars/Base" is not in the IANA time zone database`)
	r = reaflow(t, "schedule", "create", name, "--workflow", def, "--every", "1h")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "does not match the input schema")

	r = reaflow(t, "schedule", "create", name, "--workflow", def+"@1.0.0", "--cron", "30 2 * * *", "--timezone", "America/New_York", "--input", `{"to": "ops@example.com"}`)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "created schedule "+name+": 30 2 * * * (America/New_York) runs "+def+"@1.0.0")
	assert.Regexp(t, `next fires: \d{4}-\d\d-\d\dT0[67]:30:00Z`, r.stdout)

	r = reaflow(t, "schedule", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `(?m)^`+name+` +`+def+`@1\.0\.0 +30 2 \* \* \* \(America/New_York\) .* no$`, r.stdout)

	r = reaflow(t, "schedule", "trigger", name)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `started `+name+`:trigger:\d{8}T\d{6}\.\d{3}Z`, r.stdout)

	r = reaflow(t, "schedule", "backfill", name, "--from", "2026-01-01", "--to", "2026-01-03T23:59:59Z")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "started "+name+":20260101T073000Z")
	assert.Contains(t, r.stdout, "started "+name+":20260103T073000Z")
	assert.Contains(t, r.stdout, "3 fires in the range")

	r = reaflow(t, "schedule", "pause", name, "--note", "migration")
	require.Equal(t, 0, r.code, r.stderr)
	r = reaflow(t, "schedule", "describe", name)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "paused: migration")
	assert.Contains(t, r.stdout, "backfill")

	r = reaflow(t, "schedule", "update", name, "--every", "10m")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "updated schedule "+name+": every 10m runs "+def+"@1.0.0")
	r = reaflow(t, "schedule", "resume", name)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "next fires: ")

	r = reaflow(t, "schedule", "describe", name, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var info interpreter.ScheduleInfo
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &info))
	assert.Equal(t, "10m", info.Spec.Every)
	assert.Empty(t, info.Spec.Cron)
	assert.False(t, info.Spec.Paused)
	assert.Len(t, info.NextFires, 3)

	r = reaflow(t, "schedule", "delete", name)
	require.Equal(t, 0, r.code, r.stderr)
	r = reaflow(t, "schedule", "describe", name)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no schedule named")

	r = reaflow(t, "schedule", "frobnicate")
	assert.Equal(t, exitUsage, r.code)
}
