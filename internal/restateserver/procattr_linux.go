package restateserver

import "syscall"

// sysProcAttr puts the server in its own process group, so signals reach it
// and anything it spawns, and has the kernel kill it when the thread that
// started it dies: a crashed test binary must not leave servers running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
