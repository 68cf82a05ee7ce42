package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGraphOfADefinitionAndOfARun(t *testing.T) {
	r := reaflow(t, "graph", "../../workflows/order-approval.json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "flowchart TD")
	assert.Contains(t, r.stdout, `subgraph s_fulfil_parcels ["branch parcels"]`)
	assert.NotContains(t, r.stdout, "classDef", "no run, no colours")

	id := uniqueID(t)
	r = reaflow(t, "submit", "../../workflows/trip-booking.json", "--input", tripInput(id, "sold-out-van"), "--id", id, "--wait")
	require.Equal(t, 1, r.code, r.stderr)
	r = reaflow(t, "graph", "../../workflows/trip-booking.json", "--format", "dot", "--run", id)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `s_hotel [label="hotel\nactivity book\nundo: cancelBooking", shape=box, fillcolor="#d1c4e9"];`, "compensated")
	assert.Contains(t, r.stdout, `s_giveUp [label="giveUp\nfail sold_out", shape=octagon, fillcolor="#ffcdd2"];`, "failed")
	assert.Contains(t, r.stdout, `s_confirm [label="confirm\nactivity email", shape=box];`, "never reached")

	r = reaflow(t, "graph", "../../workflows/order-approval.json", "--run", id)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `interprets "trip-booking", not ../../workflows/order-approval.json's "order-approval"`)
	r = reaflow(t, "graph", "../../workflows/order-approval.json", "--format", "svg")
	assert.Equal(t, 2, r.code)
}
