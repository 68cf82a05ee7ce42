//go:build !linux

package clusterrun

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal; Close stops
// the endpoints, but a scenario killed from outside can leave them running.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
