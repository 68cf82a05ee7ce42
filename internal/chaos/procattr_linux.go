package chaos

import "syscall"

// sysProcAttr has the kernel kill an endpoint when the thread that started
// it dies: a soak that crashes or is interrupted must leave no endpoint
// running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
