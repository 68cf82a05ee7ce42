//go:build !linux

package child

import "syscall"

func attr(group bool) *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: group} }
