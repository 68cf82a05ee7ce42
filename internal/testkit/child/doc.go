// Package child starts processes that die with the process that started
// them. On Linux the kernel SIGKILLs such a child when the thread that
// forked it ends (the parent-death signal), so a crashed test binary or
// harness leaves no restate-server or endpoint behind; elsewhere there is
// no such signal.
package child
