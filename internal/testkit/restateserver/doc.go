// Package restateserver runs a real restate-server for integration tests and
// the demo: the pinned release (Version) that `make restate-server` installs
// under .tools/, on free loopback ports, with a temporary base dir.
//
// Start returns once the server is ready (see below); Stop shuts
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
// Start reports ready once the admin API and the ingress answer /health and
// a query over all partitions succeeds (with 4 partitions, ~0.8s on 2 cores;
// /health alone answers after ~0.3s, while queries still fail with "node
// lookup for partition N failed"). Useful WithEnv settings:
// RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT=0s suspends an invocation at
// every await, so each step is replayed (always-replay);
// RESTATE_DEFAULT_JOURNAL_RETENTION=0s drops journals on completion.
//
// # Introspection (restate 1.7.12)
//
// Query sends SQL (DataFusion dialect; no SELECT * EXCEPT) to POST /query.
// The answer is {"rows": [...]}; a NULL column is absent from its row,
// timestamps are RFC 3339 strings, durations ISO 8601 ("PT86400S"). The
// admin calls go through package internal/admin, the product's client.
//
// sys_invocation, one row per invocation: id ("inv_..."), vqueue_id, target
// ("Svc/key/handler" or "Svc/handler"), target_service_name,
// target_service_key, target_handler_name, target_service_ty ("service",
// "virtual_object", "workflow"), scope, limit_key, idempotency_key,
// invoked_by ("ingress", "service", "subscription"),
// invoked_by_service_name, invoked_by_id, invoked_by_subscription_id,
// invoked_by_target, restarted_from, pinned_deployment_id,
// pinned_service_protocol_version, trace_id, journal_size,
// journal_commands_size, created_at, created_using_restate_version,
// modified_at, inboxed_at, scheduled_at, scheduled_start_at, running_at,
// completed_at, completion_retention, journal_retention,
// suspended_waiting_for_completions, suspended_waiting_for_signals,
// suspended_waiting_future_json, retry_count, last_start_at, next_retry_at,
// last_attempt_deployment_id, last_attempt_server, last_failure,
// last_failure_error_code, last_failure_related_entry_index,
// last_failure_related_entry_name, last_failure_related_entry_type, status
// ("running" and "completed" seen here; restate also documents pending,
// scheduled, ready, backing-off, suspended, paused), completion_result ("success" or "failure"),
// completion_failure (e.g. "[500] boom"). A finished workflow run:
//
//	{"id":"inv_12e3x7…","target":"Explorer/ok/Run","target_service_ty":"workflow",
//	 "status":"completed","completion_result":"success","journal_size":9,
//	 "journal_retention":"PT86400S","completion_retention":"PT86400S",
//	 "created_at":"…","running_at":"…","completed_at":"2026-11-27T18:40:16.966Z"}
//
// sys_journal, one row per entry: partition_key, id (the invocation id),
// index (from 0), entry_type, name, completed, invoked_id, invoked_target,
// sleep_wakeup_at, promise_name, raw, raw_length, version (2 for the
// journal v2 that sdk-go v1.2 writes), entry_json, entry_lite_json,
// appended_at. Entry types are "Command: X" (Input, Run, Sleep, SetState,
// GetPromise, Output, ...) and "Notification: X" (Run, Sleep, ...). A
// restate.Run step is two entries: the command, whose name is the
// restate.WithName name ("" when unnamed), and a later notification with the
// result and no name, matched by completion_id in entry_json:
//
//	{"index":1,"entry_type":"Command: Run","name":"step-a",
//	 "entry_json":"{\"Command\":{\"Run\":{\"completion_id\":1,\"name\":\"step-a\"}}}"}
//	{"index":2,"entry_type":"Notification: Run",
//	 "entry_json":"{\"Notification\":{\"Completion\":{\"Run\":{\"completion_id\":1,\"result\":{\"Success\":[34,97,34]}}}}}"}
//
// A failed run's result is {"Failure":{"code":500,"message":"boom"}}; the
// payload bytes are the JSON the SDK encoded. The journal of a completed
// invocation (workflow or not) stays queryable for its journal_retention:
// the server default is one day (default-journal-retention), sdk-go's
// restate.WithJournalRetention overrides it per service or handler. A
// workflow's output stays attachable for its completion_retention (one day,
// restate.WithWorkflowRetention), also when the journal is gone.
//
// Other tables: state, sys_deployment, sys_inbox, sys_invocation_state,
// sys_invocation_status, sys_journal_events, sys_keyed_service_status,
// sys_locks, sys_promise, sys_rules, sys_scheduler, sys_service,
// sys_user_limits and the sys_vqueue* tables; information_schema.columns
// lists their columns.
//
// A child server is in its own process group and, on Linux, dies with the
// test binary (parent-death signal), so a crashed test leaves nothing behind.
package restateserver
