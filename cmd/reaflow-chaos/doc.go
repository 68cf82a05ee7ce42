// Command reaflow-chaos runs the chaos soak (package internal/testkit/chaos):
// thousands of example workflows against a real restate-server and real
// `reaflow serve` endpoints while it SIGKILLs the endpoints and the
// server, with faults injected into the sandbox providers; then it checks
// that every run ended as expected and that every side effect happened
// exactly once, prints a report and exits 1 if anything failed.
//
//	reaflow-chaos                       the long soak (2000 runs), as `make chaos` runs it
//	reaflow-chaos --short               the CI size (100 runs), as make test runs it
//	reaflow-chaos --runs 5000 --seed 7  bigger, another seed
//	reaflow-chaos --duration 30m        keep submitting for half an hour
package main
