package main

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadURL is a loopback URL nothing listens on, as a cluster node that is
// down.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	return url
}

// With several addresses, the CLI moves on from one that is down: a
// submit, its watch and the output all reach Restate through the next.
func TestSeveralAddressesFallOver(t *testing.T) {
	id := uniqueID(t)
	ingress := deadURL(t) + "," + stack.Restate.IngressURL
	admin := deadURL(t) + ", " + stack.Restate.AdminURL + "/"
	r := reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", "@../../workflows/inputs/order-fulfillment.json",
		"--id", id, "--wait", "--ingress", ingress, "--admin", admin)
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "done     notify")
	assert.Contains(t, r.stdout, `"orderId": "order-1001"`)

	r = reaflow(t, "status", id, "--admin", admin)
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	r = reaflow(t, "output", id, "--ingress", ingress)
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	assert.Contains(t, r.stdout, `"orderId": "order-1001"`)
}

// When no address answers, the CLI says so at once rather than waiting
// for a failover that nothing will do.
func TestNoAddressAnswers(t *testing.T) {
	ingress := deadURL(t) + "," + deadURL(t)
	r := reaflow(t, "submit", "../../workflows/order-fulfillment.json", "--input", "@../../workflows/inputs/order-fulfillment.json",
		"--ingress", ingress)
	require.Equal(t, 1, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stderr, "is not reachable")
	assert.Contains(t, r.stderr, "none of 2 addresses answered")
}
