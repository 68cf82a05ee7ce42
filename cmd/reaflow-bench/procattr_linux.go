package main

import "syscall"

// sysProcAttr has the kernel kill the endpoint when the thread that
// started it dies: a benchmark that crashes or is killed must not leave
// an endpoint running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
