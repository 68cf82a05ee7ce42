//go:build !linux

package main

import "syscall"

// sysProcAttr is empty where there is no parent-death signal; Stop still
// ends the endpoint when the benchmark exits normally.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
