package child

import (
	"os/exec"
	"runtime"
	"syscall"
)

// Process is a started child.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

type config struct {
	group  bool
	onExit func(error)
}

// Option configures Start.
type Option func(*config)

// WithProcessGroup puts the child in a process group of its own, so that
// Signal reaches it and whatever it spawns.
func WithProcessGroup() Option { return func(c *config) { c.group = true } }

// OnExit runs fn with the child's exit error once it has exited, before
// Done is closed (to close its log file, or to note an unexpected exit).
func OnExit(fn func(error)) Option { return func(c *config) { c.onExit = fn } }

// Attr returns the process attributes that tie a child to its parent, for
// short-lived commands started with cmd.Run.
func Attr() *syscall.SysProcAttr { return attr(false) }

// Start starts cmd as a child that dies with this process. The goroutine
// that forks it keeps its thread for the child's life: the parent-death
// signal follows the thread, not the process.
func Start(cmd *exec.Cmd, opts ...Option) (*Process, error) {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	cmd.SysProcAttr = attr(cfg.group)
	p := &Process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		if cfg.onExit != nil {
			cfg.onExit(p.err)
		}
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Done is closed once the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is how the child exited; valid once Done is closed.
func (p *Process) Err() error { return p.err }

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Running reports whether the child has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Signal sends sig to the child, or to its process group when it has one,
// unless it has exited.
func (p *Process) Signal(sig syscall.Signal) {
	if !p.Running() {
		return
	}
	if p.cmd.SysProcAttr != nil && p.cmd.SysProcAttr.Setpgid {
		syscall.Kill(-p.Pid(), sig)
		return
	}
	p.cmd.Process.Signal(sig)
}

// Kill SIGKILLs the child and waits until it has exited.
func (p *Process) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}
