package restateserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"

	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/reaflow/reaflow/internal/admin"

	"github.com/reaflow/reaflow/internal/testkit/child"
)

const (
	// defaultNodeName is fixed so a restarted server finds its own data in
	// the base dir; WithNodeName sets another for a node of a cluster.
	defaultNodeName = "reaflow"
	clusterName     = "reaflow-test"
	// partitions is kept small: a test server needs no parallelism, and each
	// partition adds a processor (and startup work) to every server.
	partitions = 4
	// stopGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
	// The server's own drain timeout (RESTATE_SHUTDOWN_TIMEOUT) is shorter.
	stopGrace        = 10 * time.Second
	shutdownTimeout  = "5s"
	startAttempts    = 3
	pollInterval     = 50 * time.Millisecond
	logFileName      = "restate-server.log"
	logTailOnFailure = 40
)

// errExited reports a server process that exited before it became ready.
var errExited = errors.New("restate-server exited before it was ready")

type config struct {
	binary       string
	baseDir      string
	logOutput    io.Writer
	env          []string
	startTimeout time.Duration
	// ports, when set, are the ingress, admin and node ports to use
	// instead of free ones.
	ports    *[3]int
	nodeName string
}

// Option configures Start.
type Option func(*config)

// WithBinary runs the restate-server at path instead of the one Binary finds.
func WithBinary(path string) Option { return func(c *config) { c.binary = path } }

// WithBaseDir keeps the server's data in dir, which Stop leaves in place, so
// a later Start on the same dir sees the earlier invocations. By default
// Start makes a temporary dir and Stop removes it.
func WithBaseDir(dir string) Option { return func(c *config) { c.baseDir = dir } }

// WithLogOutput copies the server's output to w as well as to the log file
// in the base dir.
func WithLogOutput(w io.Writer) Option { return func(c *config) { c.logOutput = w } }

// WithEnv adds KEY=VALUE settings to the server's environment, after (and so
// overriding) the harness's own; restate reads its configuration from
// RESTATE_* variables, e.g. RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT=5s.
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithPorts makes the server listen on the given loopback ports instead of
// free ones, for a long-lived local server that other tools find at known
// addresses (restate's defaults are 8080, 9070 and 5122).
func WithPorts(ingress, admin, node int) Option {
	return func(c *config) { c.ports = &[3]int{ingress, admin, node} }
}

// WithNodeName names the node (RESTATE_NODE_NAME; default "reaflow").
// Nodes of one cluster need names of their own, and a node keeps its name
// across restarts: restate files its data under it in the base dir.
func WithNodeName(name string) Option { return func(c *config) { c.nodeName = name } }

// WithStartTimeout bounds how long Start and Restart wait for the server to
// become ready (default 60s).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// Server is a restate-server process listening on loopback ports.
type Server struct {
	// IngressURL is where services are invoked, e.g. http://127.0.0.1:41234.
	IngressURL string
	// AdminURL serves the admin API: deployments, /query, /health.
	AdminURL string
	// NodeURL is the node-to-node address, which also serves Prometheus
	// metrics at /metrics.
	NodeURL string
	// BaseDir holds the server's data and its log file.
	BaseDir string
	// LogFile receives the server's stdout and stderr, appended across restarts.
	LogFile string

	cfg         config
	binary      string
	ownsBaseDir bool
	nodePort    int
	http        *http.Client
	admin       *admin.Client

	mu      sync.Mutex
	proc    *child.Process // nil while not running
	stopped bool
}

// Start runs restate-server on free loopback ports and returns once its
// admin API, ingress and partition processors are up. Unless WithBaseDir is given, the data
// lives in a fresh temporary directory that Stop removes. ctx bounds the
// startup only; the server runs until Stop or Kill.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	cfg := config{startTimeout: 60 * time.Second, nodeName: defaultNodeName}
	for _, opt := range opts {
		opt(&cfg)
	}
	binary := cfg.binary
	if binary == "" {
		var err error
		if binary, err = Binary(); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, binary: binary, BaseDir: cfg.baseDir, http: &http.Client{}}
	if s.BaseDir == "" {
		dir, err := os.MkdirTemp("", "restate-")
		if err != nil {
			return nil, err
		}
		s.BaseDir, s.ownsBaseDir = dir, true
	} else if err := os.MkdirAll(s.BaseDir, 0o755); err != nil {
		return nil, err
	}
	s.LogFile = filepath.Join(s.BaseDir, logFileName)
	// Only a server without data may move to other ports: the node's address
	// is recorded in its metadata on first start.
	fresh := !hasNodeData(s.BaseDir, cfg.nodeName)

	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		if err := s.pickPorts(); err != nil {
			return nil, s.abandon(err)
		}
		err := s.launch(ctx)
		if err == nil {
			return s, nil
		}
		// Another process can take a port between pickPorts and the server's
		// bind; start over on new ports from a clean dir.
		if !fresh || s.cfg.ports != nil || attempt == startAttempts || ctx.Err() != nil || !errors.Is(err, errExited) || !s.bindFailed() {
			return nil, s.abandon(err)
		}
		if err := os.RemoveAll(filepath.Join(s.BaseDir, s.cfg.nodeName)); err != nil {
			return nil, s.abandon(err)
		}
	}
}

// abandon cleans up after a failed Start.
func (s *Server) abandon(err error) error {
	s.stopped = true
	if s.ownsBaseDir {
		os.RemoveAll(s.BaseDir)
	}
	return err
}

func hasNodeData(baseDir, nodeName string) bool {
	_, err := os.Stat(filepath.Join(baseDir, nodeName))
	return err == nil
}

// bindFailed tells whether the last run died on a port already in use.
func (s *Server) bindFailed() bool {
	// restate 1.7 reports "failed binding to address '127.0.0.1:N': Address in use (os error 98)".
	tail := strings.ToLower(s.LogTail(logTailOnFailure))
	return strings.Contains(tail, "failed binding") || strings.Contains(tail, "address in use")
}

// pickPorts reserves three distinct free loopback ports by listening on them
// together, then releases them for the server to bind.
func (s *Server) pickPorts() error {
	var ports [3]int
	if s.cfg.ports != nil {
		ports = *s.cfg.ports
	}
	for i := range ports {
		if ports[i] != 0 {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	s.IngressURL = "http://127.0.0.1:" + strconv.Itoa(ports[0])
	s.AdminURL = "http://127.0.0.1:" + strconv.Itoa(ports[1])
	s.nodePort = ports[2]
	s.NodeURL = "http://127.0.0.1:" + strconv.Itoa(ports[2])
	s.admin = admin.New(s.AdminURL, "")
	return nil
}

// env is the server's environment: the caller's minus any RESTATE_* setting,
// which could move the server onto shared ports or data, then the harness's
// settings, then WithEnv's.
func (s *Server) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RESTATE_") {
			env = append(env, kv)
		}
	}
	node := "127.0.0.1:" + strconv.Itoa(s.nodePort)
	env = append(env,
		"RESTATE_BASE_DIR="+s.BaseDir,
		"RESTATE_NODE_NAME="+s.cfg.nodeName,
		"RESTATE_CLUSTER_NAME="+clusterName,
		"RESTATE_BIND_ADDRESS="+node,
		"RESTATE_ADVERTISED_ADDRESS=http://"+node+"/",
		"RESTATE_ADMIN__BIND_ADDRESS="+strings.TrimPrefix(s.AdminURL, "http://"),
		"RESTATE_INGRESS__BIND_ADDRESS="+strings.TrimPrefix(s.IngressURL, "http://"),
		"RESTATE_DEFAULT_NUM_PARTITIONS="+strconv.Itoa(partitions),
		"RESTATE_DISABLE_TELEMETRY=true",
		"RESTATE_SHUTDOWN_TIMEOUT="+shutdownTimeout,
		"RESTATE_LOG_FORMAT=compact",
		"RESTATE_LOG_DISABLE_ANSI_CODES=true",
	)
	return append(env, s.cfg.env...)
}

// launch starts the process and waits until it is ready. s.mu is held.
func (s *Server) launch(ctx context.Context) error {
	logFile, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logFile, "--- reaflow: starting %s, ingress %s, admin %s ---\n", s.binary, s.IngressURL, s.AdminURL)
	var out io.Writer = logFile
	if s.cfg.logOutput != nil {
		out = io.MultiWriter(logFile, s.cfg.logOutput)
	}
	cmd := exec.Command(s.binary, "--no-logo")
	// The unix sockets the server also opens live under the base dir; their
	// paths are shorter (sun_path is ~100 bytes) relative to it.
	cmd.Dir = s.BaseDir
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that signals reach it and anything it
	// spawns.
	p, err := child.Start(cmd, child.WithProcessGroup(), child.OnExit(func(error) { logFile.Close() }))
	if err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", s.binary, err)
	}
	s.proc = p
	if err := s.waitReady(ctx, p); err != nil {
		p.Kill()
		s.proc = nil
		return err
	}
	return nil
}

// stableQueries is how many queries in a row must succeed for the
// partitions to count as ready.
const stableQueries = 3

// waitReady polls until the admin API and the ingress answer /health and
// every partition processor is up: before that, queries fail ("node lookup
// for partition N failed") for a few hundred milliseconds.
func (s *Server) waitReady(ctx context.Context, p *child.Process) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.startTimeout)
	defer cancel()
	type check struct {
		what string
		ok   func(context.Context) bool
	}
	pending := []check{
		{"admin /health", s.healthCheck(s.AdminURL + "/health")},
		{"ingress /restate/health", s.healthCheck(s.IngressURL + "/restate/health")},
		{"partition processors", s.partitionsReady},
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		for len(pending) > 0 && probe(ctx, pending[0].ok) {
			pending = pending[1:]
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%w (%v); end of its log:\n%s", errExited, p.Err(), s.LogTail(logTailOnFailure))
		case <-ctx.Done():
			return fmt.Errorf("restate-server not ready: %w (waiting for %s); end of its log:\n%s", ctx.Err(), pending[0].what, s.LogTail(logTailOnFailure))
		case <-tick.C:
		}
	}
}

// probe runs one readiness check with a short timeout of its own.
func probe(ctx context.Context, ok func(context.Context) bool) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return ok(ctx)
}

func (s *Server) healthCheck(url string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		resp, err := s.http.Do(req)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

// partitionsReady tells whether queries over all partitions succeed, a
// few times in a row: right after a restart on old data, one query can
// succeed and the next fail ("node N1:2 was shut down or removed") while
// the partitions settle.
func (s *Server) partitionsReady(ctx context.Context) bool {
	for i := range stableQueries {
		if i > 0 {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(pollInterval):
			}
		}
		if _, err := s.Query(ctx, "SELECT count(*) FROM sys_invocation"); err != nil {
			return false
		}
	}
	return true
}

// terminate stops the running process, if any: SIGTERM, then SIGKILL after
// grace. s.mu is held.
func (s *Server) terminate(grace time.Duration) {
	p := s.proc
	if p == nil {
		return
	}
	s.proc = nil
	if grace > 0 {
		p.Signal(syscall.SIGTERM)
		select {
		case <-p.Done():
			return
		case <-time.After(grace):
		}
	}
	p.Kill()
}

// Stop shuts the server down (SIGTERM, then SIGKILL after a grace period) and
// removes the base dir if Start created it. Stop is idempotent; the server
// cannot be restarted afterwards.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	s.terminate(stopGrace)
	if s.ownsBaseDir {
		return os.RemoveAll(s.BaseDir)
	}
	return nil
}

// Kill sends SIGKILL, as a crash would, and waits for the process to exit.
// The base dir is kept, so Restart resumes from the data on disk.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("restate-server already stopped")
	}
	s.terminate(0)
	return nil
}

// Restart starts the server again on the same ports and base dir, after Kill
// or on a running server, which is first shut down gracefully. It fails after
// Stop.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("restate-server already stopped")
	}
	s.terminate(stopGrace)
	return s.launch(ctx)
}

// Pid returns the server's process id, or 0 while it is not running.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	if !s.proc.Running() {
		return 0
	}
	return s.proc.Pid()
}

// LogTail returns the last n lines of the server's log file.
func (s *Server) LogTail(n int) string {
	const window = 64 << 10
	f, err := os.Open(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > window {
		f.Seek(info.Size()-window, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
