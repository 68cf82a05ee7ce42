//go:build !linux

package chaos

import "syscall"

// sysProcAttr is empty where there is no parent-death signal; the soak's
// cleanup still kills its endpoints when it ends normally or is
// interrupted.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
