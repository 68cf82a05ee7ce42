// Package clusterrun is the scenario behind `make cluster-test`: reaflow on
// a three-node Restate cluster (package cluster) with two reaflow endpoints
// behind one registered address, a few hundred mixed example workflows
// submitted through one node's ingress, and another node SIGKILLed while
// they run and restarted on its base dir. It checks that every run
// completed with the output its provider effects imply, that the sandbox
// ledger holds exactly one effect per idempotency key, and that the
// restarted node rejoined, and it reports throughput (a single node
// against the cluster, on the same machine), the failover pause and the
// runs lost.
//
// The node to kill is chosen by role: the ingress the runs go through is
// the node leading the fewest partitions, the victim the one among the
// others leading the most, so its death moves partition leadership.
package clusterrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"

	"github.com/reaflow/reaflow/internal/testkit/balancer"
	"github.com/reaflow/reaflow/internal/testkit/child"
	"github.com/reaflow/reaflow/internal/testkit/cluster"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
	"github.com/reaflow/reaflow/rea"
)

// Config sizes the scenario.
type Config struct {
	// Reaflow is the reaflow binary whose `serve` runs the endpoints and
	// whose `submit --wait` rides through the kill.
	Reaflow string
	// Workflows is the directory of the example definitions and their
	// inputs (workflows/ in the repository).
	Workflows string
	// Runs is the number of runs submitted while a node is killed.
	Runs int
	// BaselineRuns is the number of runs submitted to a single node, and
	// again to the cluster with no failure, to compare throughput; 0
	// skips both.
	BaselineRuns int
	// Concurrency is how many runs are in flight at once.
	Concurrency int
	// KillAfter is the share of Runs completed before the kill.
	KillAfter float64
	// Down is how long the killed node stays down.
	Down time.Duration
	// Progress, if set, receives a line per phase.
	Progress io.Writer
}

// Defaults are the sizes `make cluster-test` runs.
func Defaults() Config {
	return Config{Runs: 400, BaselineRuns: 300, Concurrency: 32, KillAfter: 0.15, Down: 8 * time.Second}
}

// partitions is the cluster's number of partitions (cluster's default).
const partitions = 4

// probeDefinition is the smallest real workflow: one step, no provider.
// Running it through a node shows the whole path works, which /health
// does not: it answers seconds before the partitions have leaders.
const probeDefinition = `{"name": "cluster-probe", "steps": [{"id": "hello", "set": {"greeting": "hello"}}],
 "output": {"greeting": "${ vars.greeting }"}}`

// scenario is one run of the scenario and what it saw.
type scenario struct {
	cfg      Config
	kinds    []*kind
	workDir  string
	sandbox  *sandbox.Sandbox
	sbURL    string
	balancer *balancer.Balancer
	report   *Report
	jobs     []*job
	kill     *killPlan
	probes   atomic.Int64
}

// Run runs the scenario. The error is for a scenario that could not be
// carried out; what it found wrong is in the report's Problems.
func Run(ctx context.Context, cfg Config) (_ *Report, err error) {
	if cfg.Runs < 1 || cfg.Concurrency < 1 || cfg.KillAfter <= 0 || cfg.KillAfter >= 1 {
		return nil, errors.New("give at least one run and one in flight, and a kill point between 0 and 1")
	}
	s := &scenario{cfg: cfg, report: &Report{Machine: fmt.Sprintf("%d CPUs, %s/%s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH), Concurrency: cfg.Concurrency}}
	if s.kinds, err = loadKinds(cfg.Workflows); err != nil {
		return nil, err
	}
	if s.workDir, err = os.MkdirTemp("", "reaflow-cluster-"); err != nil {
		return nil, err
	}
	defer func() {
		if err == nil && s.report.OK() {
			os.RemoveAll(s.workDir)
		} else {
			s.report.WorkDir = s.workDir
		}
	}()
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.sandbox = sandbox.New()
	if s.sbURL, err = s.sandbox.Start(runCtx, ""); err != nil {
		return nil, err
	}
	var addrs []string
	for i := range 2 {
		p, err := startEndpoint(ctx, cfg.Reaflow, s.sbURL, s.workDir, fmt.Sprintf("endpoint-%d", i+1))
		if err != nil {
			return nil, err
		}
		defer p.stop()
		addrs = append(addrs, p.addr)
	}
	if s.balancer, err = balancer.Start(addrs...); err != nil {
		return nil, err
	}
	defer s.balancer.Close()

	if cfg.BaselineRuns > 0 {
		if err := s.singleNode(ctx); err != nil {
			return nil, err
		}
	}
	c, err := s.onCluster(ctx)
	if c != nil {
		defer c.Stop()
	}
	if err != nil {
		return nil, err
	}
	s.verify()
	s.report.EndpointConnections = s.balancer.Accepted()
	if !s.report.OK() {
		for _, n := range c.Nodes {
			s.report.Logs = append(s.report.Logs, fmt.Sprintf("node %s (%s), last lines:\n%s", n.Name, n.LogFile, n.LogTail(25)))
		}
	}
	return s.report, nil
}

func (s *scenario) progress(format string, args ...any) {
	if s.cfg.Progress != nil {
		fmt.Fprintf(s.cfg.Progress, format+"\n", args...)
	}
}

// singleNode runs the baseline on one restate-server with the same
// endpoints.
func (s *scenario) singleNode(ctx context.Context) error {
	s.progress("single node: starting restate-server")
	srv, err := restateserver.Start(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()
	if err := srv.RegisterDeployment(ctx, s.balancer.URL()); err != nil {
		return err
	}
	if err := s.probe(ctx, srv.IngressURL, 1); err != nil {
		return err
	}
	s.report.Phases = append(s.report.Phases, s.phase(ctx, "single node", "single", srv.IngressURL, s.cfg.BaselineRuns, nil))
	return nil
}

// onCluster starts the cluster, registers the endpoints once, and runs the
// steady phase (if any) and the failover phase. The caller stops the
// cluster it returns.
func (s *scenario) onCluster(ctx context.Context) (*cluster.Cluster, error) {
	s.progress("cluster: starting 3 nodes")
	start := time.Now()
	c, err := cluster.Start(ctx)
	if err != nil {
		return nil, err
	}
	s.report.HealthyAfter = time.Since(start)
	// Registration is cluster-wide metadata: once, through any node.
	if err := c.Nodes[0].RegisterDeployment(ctx, s.balancer.URL()); err != nil {
		return c, err
	}
	for _, n := range c.Nodes {
		if err := s.probe(ctx, n.IngressURL, 8); err != nil {
			return c, fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	if err := c.WaitLeaders(ctx, partitions); err != nil {
		return c, err
	}
	s.report.RunningAfter = time.Since(start)
	entry, victim, err := chooseNodes(ctx, c)
	if err != nil {
		return c, err
	}
	s.report.Ingress, s.report.Victim = entry, victim
	in := c.Node(entry.Name)
	s.progress("cluster: up in %s (health after %s); runs go through %s (%s); %s (%s) will be killed",
		s.report.RunningAfter.Round(time.Millisecond), s.report.HealthyAfter.Round(time.Millisecond), entry.Name, entry.Roles, victim.Name, victim.Roles)

	if s.cfg.BaselineRuns > 0 {
		s.report.Phases = append(s.report.Phases, s.phase(ctx, "3-node cluster", "steady", in.IngressURL, s.cfg.BaselineRuns, nil))
	}
	kill := &killPlan{cluster: c, node: c.Node(victim.Name), after: int64(float64(s.cfg.Runs) * s.cfg.KillAfter), down: s.cfg.Down,
		other: in}
	s.kill = kill
	s.report.Phases = append(s.report.Phases, s.phase(ctx, "3-node cluster, node killed", "failover", in.IngressURL, s.cfg.Runs, kill))
	s.report.Kill = kill.result
	if kill.err != nil {
		return c, kill.err
	}
	// The restarted node serves runs through its own ingress again.
	if err := s.probe(ctx, kill.node.IngressURL, 8); err != nil {
		s.report.problem("the restarted node %s does not run workflows: %v", victim.Name, err)
	}
	if r, err := kill.node.Roles(ctx); err == nil {
		s.report.Kill.RolesAfter = r
	}
	return c, nil
}

// NodeRoles names a node and its roles when the scenario chose it.
type NodeRoles struct {
	Name  string
	Roles cluster.Roles
}

// chooseNodes picks the node the runs go through (leading the fewest
// partitions) and the node to kill (among the others, leading the most;
// the metadata leader on a tie).
func chooseNodes(ctx context.Context, c *cluster.Cluster) (entry, victim NodeRoles, err error) {
	roles, err := c.AllRoles(ctx)
	if err != nil {
		return entry, victim, err
	}
	var nodes []NodeRoles
	for _, n := range c.Nodes {
		nodes = append(nodes, NodeRoles{n.Name, roles[n.Name]})
	}
	weight := func(n NodeRoles) int {
		w := 2 * n.Roles.Leaders
		if n.Roles.MetadataLeader {
			w++
		}
		return w
	}
	slices.SortStableFunc(nodes, func(a, b NodeRoles) int { return weight(a) - weight(b) })
	return nodes[0], nodes[len(nodes)-1], nil
}

// probe runs the probe workflow n times through ingressURL, each until it
// completes. While the cluster settles, a send can fail after Restate took
// the run, and the next answers 409 "already invoked": the probe then
// attaches to the run instead.
func (s *scenario) probe(ctx context.Context, ingressURL string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	client := ingress.NewClient(ingressURL)
	for range n {
		id := fmt.Sprintf("cluster-probe-%d", s.probes.Add(1))
		req := interpreter.RunRequest{Definition: probeDefinition}
		var last error
		for {
			_, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](client, interpreter.WorkflowService, id, "Run").Send(ctx, req)
			var answer ingress.Error
			if err == nil || errors.As(err, &answer) && answer.Code() == http.StatusConflict {
				_, err = ingress.WorkflowHandle[json.RawMessage](client, interpreter.WorkflowService, id).Attach(ctx)
			}
			if err == nil {
				break
			}
			if restate.IsTerminalError(err) {
				return fmt.Errorf("the probe workflow failed through %s: %w", ingressURL, err)
			}
			last = err
			select {
			case <-ctx.Done():
				return fmt.Errorf("a probe workflow through %s did not complete: %v", ingressURL, last)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// Phase is one batch of runs.
type Phase struct {
	Name     string
	Runs     int
	Duration time.Duration
}

// Throughput is runs completed per second.
func (p Phase) Throughput() float64 { return float64(p.Runs) / p.Duration.Seconds() }

// phase runs n jobs through ingressURL, with the kill plan if any.
func (s *scenario) phase(ctx context.Context, name, tag, ingressURL string, n int, kill *killPlan) Phase {
	s.progress("%s: %d runs, %d in flight", name, n, s.cfg.Concurrency)
	jobs := make([]*job, n)
	for i := range jobs {
		jobs[i] = newJob(s.kinds[i%len(s.kinds)], tag, i, s.sbURL)
	}
	s.jobs = append(s.jobs, jobs...)
	var completed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	if kill != nil {
		kill.start = start
		cli := newJob(s.kinds[0], "cli", 0, s.sbURL)
		cli.id = "cli-" + cli.id
		s.jobs = append(s.jobs, cli)
		kill.cli, kill.cliDone = cli, make(chan struct{})
		wg.Go(func() {
			defer close(kill.cliDone)
			s.runCLI(ctx, cli, kill)
		})
		wg.Go(func() { kill.run(ctx, &completed, s.sandbox) })
	}
	drive(ctx, ingressURL, jobs, s.cfg.Concurrency, &completed)
	elapsed := time.Since(start)
	wg.Wait()
	s.progress("%s: done in %s", name, elapsed.Round(time.Millisecond))
	return Phase{Name: name, Runs: n, Duration: elapsed}
}

// KillResult is what happened to the killed node, in time since the start
// of the phase.
type KillResult struct {
	KilledAt, RestartedAt, RejoinedAt time.Duration
	// RolesAfter are the node's roles once the runs are over.
	RolesAfter cluster.Roles
	// CLI is how `reaflow submit --wait` did, given the killed node's
	// addresses first.
	CLI CLIResult
}

// CLIResult is the outcome of the CLI run through the killed node.
type CLIResult struct {
	Command  string
	ExitCode int
	// Attached counts the times the CLI said it attached to the run again.
	Attached int
	Output   string
}

// killPlan kills node once after runs have completed (and the CLI's run
// is under way), restarts it after down, and waits until it rejoined.
type killPlan struct {
	cluster *cluster.Cluster
	node    *cluster.Node
	other   *cluster.Node
	after   int64
	down    time.Duration
	start   time.Time
	cli     *job
	// cliDone is closed when the CLI has exited.
	cliDone chan struct{}

	killedAt, restartedAt time.Time
	result                KillResult
	err                   error
}

func (k *killPlan) run(ctx context.Context, completed *atomic.Int64, sb *sandbox.Sandbox) {
	// The kill waits for the CLI's run to be under way too, unless the
	// CLI already gave up (which the report shows).
	charge := rea.IdempotencyKey(k.cli.id, rea.Step("charge"))
	cliWaits := func() bool {
		select {
		case <-k.cliDone:
			return false
		default:
			return sb.Ledger().Calls[charge] == 0
		}
	}
	for completed.Load() < k.after || cliWaits() {
		select {
		case <-ctx.Done():
			k.err = ctx.Err()
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	if k.err = k.node.Kill(); k.err != nil {
		return
	}
	k.killedAt = time.Now()
	k.result.KilledAt = k.killedAt.Sub(k.start)
	select {
	case <-ctx.Done():
		k.err = ctx.Err()
		return
	case <-time.After(k.down):
	}
	k.restartedAt = time.Now()
	k.result.RestartedAt = k.restartedAt.Sub(k.start)
	if k.err = k.node.Restart(ctx); k.err != nil {
		k.err = fmt.Errorf("restart node %s: %w", k.node.Name, k.err)
		return
	}
	rejoin, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if k.err = k.cluster.WaitRejoined(rejoin, k.node); k.err != nil {
		return
	}
	k.result.RejoinedAt = time.Since(k.start)
}

// runCLI runs `reaflow submit --wait` for an order, with the node to be
// killed first in --ingress and --admin, while its charge is held long
// enough for the kill to land mid-run.
func (s *scenario) runCLI(ctx context.Context, j *job, k *killPlan) {
	charge := rea.IdempotencyKey(j.id, rea.Step("charge"))
	if err := s.sandbox.AddFaults(sandbox.FaultRule{IdempotencyKey: charge, Times: 1, Latency: sandbox.Duration(2 * time.Second)}); err != nil {
		j.err = err
		return
	}
	input, _ := json.Marshal(j.input)
	ingressList := k.node.IngressURL + "," + k.other.IngressURL
	adminList := k.node.AdminURL + "," + k.other.AdminURL
	args := []string{"submit", filepath.Join(s.cfg.Workflows, j.kind.name+".json"), "--input", string(input), "--id", j.id, "--wait",
		"--ingress", ingressList, "--admin", adminList}
	cmd := exec.CommandContext(ctx, s.cfg.Reaflow, args...)
	cmd.SysProcAttr = child.Attr()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	j.accepted = time.Now()
	err := cmd.Run()
	res := &k.result.CLI
	res.Command = "reaflow submit " + j.kind.name + ".json --wait --ingress " + ingressList + " --admin " + adminList
	res.ExitCode = cmd.ProcessState.ExitCode()
	res.Attached = strings.Count(stderr.String(), "attaching to run")
	res.Output = strings.TrimSpace(stdout.String() + "\n" + stderr.String())
	if stderr.Len() > 0 {
		s.progress("reaflow submit --wait through the killed node said:\n  %s", strings.ReplaceAll(strings.TrimSpace(stderr.String()), "\n", "\n  "))
	}
	if err != nil {
		j.err = fmt.Errorf("reaflow submit --wait: %v", err)
		return
	}
	j.done = time.Now()
	_, out, ok := strings.Cut(stdout.String(), "output:\n")
	if !ok {
		j.err = errors.New("reaflow submit --wait printed no output")
		return
	}
	j.output = json.RawMessage(out)
}
