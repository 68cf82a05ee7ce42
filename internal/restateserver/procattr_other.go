//go:build !linux

package restateserver

import "syscall"

// sysProcAttr puts the server in its own process group. Outside Linux there
// is no parent-death signal; a crashed test binary can leave a server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
