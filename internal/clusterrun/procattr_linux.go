package clusterrun

import "syscall"

// sysProcAttr has the kernel kill an endpoint when the thread that started
// it dies: a scenario that crashes or is killed leaves no endpoint behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
