// Package restateserver runs a real restate-server for integration tests and
// the demo: the pinned release (Version) that `make restate-server` installs
// under .tools/, on free loopback ports, with a temporary base dir.
//
// Start returns once the admin API and the ingress answer /health; Stop shuts
// the server down and removes its temporary data; Kill and Restart simulate
// a crash and recovery on the same ports and data. RegisterDeployment and
// Query wrap the admin API. Package restatetest adapts all this to tests.
//
// The server is configured through environment variables only (restate reads
// RESTATE_* as configuration; `restate-server --dump-config` shows the
// result): RESTATE_BASE_DIR, RESTATE_NODE_NAME, RESTATE_CLUSTER_NAME,
// RESTATE_BIND_ADDRESS and RESTATE_ADVERTISED_ADDRESS (node-to-node port),
// RESTATE_ADMIN__BIND_ADDRESS, RESTATE_INGRESS__BIND_ADDRESS,
// RESTATE_DEFAULT_NUM_PARTITIONS, RESTATE_DISABLE_TELEMETRY,
// RESTATE_SHUTDOWN_TIMEOUT and the log format. Those three TCP listeners are
// all a 1.7 server opens; it also listens on unix sockets inside the base
// dir, which cannot collide either. WithEnv adds or overrides settings.
//
// A child server is in its own process group and, on Linux, dies with the
// test binary (parent-death signal), so a crashed test leaves nothing behind.
package restateserver
