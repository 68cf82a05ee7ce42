// Package cluster runs a Restate cluster on loopback: several
// restate-server nodes (the pinned release, as package restateserver
// starts it), each with its own node name, base dir and ports, sharing one
// cluster name, a replicated metadata store and a replicated log. Tests and
// `make cluster-test` use it to show that reaflow's runs survive the loss
// of a node.
//
// Every node runs every role (ingress, admin, worker, log server, metadata
// server); exactly one node provisions the cluster. The configuration,
// passed to each node as RESTATE_* variables, is what a production cluster
// needs too, apart from the loopback addresses:
//
//	cluster-name = "<shared>"               node-name = "<own>"
//	auto-provision = true on one node only  default-replication = 2
//	metadata-client.addresses = [every node's node-to-node address]
//	bifrost.default-provider = "replicated" default-num-partitions = 4
//	listen-mode = "tcp"                     bind-ip = "127.0.0.1"
//
// Nodes get their ids in the order they join, which differs from run to
// run, so code that needs a particular node picks it by what it does
// (Node.Roles: partitions it leads, metadata leadership), not by name.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reaflow/reaflow/internal/testkit/restateserver"
)

const (
	defaultNodes       = 3
	defaultReplication = 2
	// defaultPartitions is small on purpose: each partition is a processor
	// (and a log) on every node that replicates it, and a loopback cluster
	// shares a few cores.
	defaultPartitions = 4
	// defaultSuspectInterval replaces restate's 5s: a node that starts or
	// restarts counts as suspect that long before the others let it run
	// partitions, which only slows a test down.
	defaultSuspectInterval = time.Second
	// rocksdbMemory caps each node's RocksDB memory (restate's default is
	// 2 GiB per node, sized for a machine of its own).
	rocksdbMemory = "1GiB"
	startAttempts = 3
)

type config struct {
	nodes           int
	replication     int
	partitions      int
	suspectInterval time.Duration
	server          []restateserver.Option
}

// Option configures Start.
type Option func(*config)

// WithNodes sets the number of nodes (default 3).
func WithNodes(n int) Option { return func(c *config) { c.nodes = n } }

// WithReplication sets default-replication, the number of nodes that keep
// each log record and run each partition (default 2).
func WithReplication(n int) Option { return func(c *config) { c.replication = n } }

// WithPartitions sets default-num-partitions (default 4).
func WithPartitions(n int) Option { return func(c *config) { c.partitions = n } }

// WithSuspectInterval sets gossip-suspect-interval, how long a node that
// (re)joins waits before it counts as alive (default 1s; restate's is 5s).
func WithSuspectInterval(d time.Duration) Option {
	return func(c *config) { c.suspectInterval = d }
}

// WithServerOptions passes options to every node's restateserver.Start,
// such as restateserver.WithEnv or WithLogOutput.
func WithServerOptions(opts ...restateserver.Option) Option {
	return func(c *config) { c.server = append(c.server, opts...) }
}

// Cluster is a running Restate cluster.
type Cluster struct {
	// Name is the cluster name all nodes share.
	Name  string
	Nodes []*Node
}

// Node is one restate-server of the cluster. Kill and Restart (from
// restateserver.Server) crash and recover it on the same ports and base
// dir.
type Node struct {
	// Name is the node name, n1, n2, ...
	Name string
	// Provisions tells whether this node has auto-provision set, the one
	// that created the cluster.
	Provisions bool
	*restateserver.Server
}

// Start starts the nodes together and returns once each one's admin API
// and ingress answer and a query over all partitions succeeds. That is not
// yet a cluster that runs invocations everywhere: partition leaders may
// still be settling, so callers that need that wait by running a real
// invocation. If any node fails to start, the others are stopped.
func Start(ctx context.Context, opts ...Option) (*Cluster, error) {
	cfg := config{nodes: defaultNodes, replication: defaultReplication, partitions: defaultPartitions, suspectInterval: defaultSuspectInterval}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.nodes < 1 || cfg.replication < 1 || cfg.replication > cfg.nodes {
		return nil, fmt.Errorf("a cluster of %d nodes cannot replicate %d times: use at least as many nodes as replicas", cfg.nodes, cfg.replication)
	}
	var errs []error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		c, err := start(ctx, cfg)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		// The ports are picked before any node starts, since every node
		// lists every other's address; another process can take one in
		// between. Only that is worth another attempt, on new ports.
		if ctx.Err() != nil || !portTaken(err) {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func start(ctx context.Context, cfg config) (*Cluster, error) {
	ports, err := freePorts(3 * cfg.nodes)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Name: "reaflow-" + randomSuffix(), Nodes: make([]*Node, cfg.nodes)}
	metadata := make([]string, cfg.nodes)
	for i := range cfg.nodes {
		metadata[i] = fmt.Sprintf("http://127.0.0.1:%d/", ports[3*i+2])
	}
	addresses, _ := json.Marshal(metadata)
	errs := make([]error, cfg.nodes)
	var wg sync.WaitGroup
	for i := range cfg.nodes {
		n := &Node{Name: "n" + strconv.Itoa(i+1), Provisions: i == 0}
		env := nodeEnv(c.Name, n.Provisions, string(addresses), cfg.replication, cfg.partitions, cfg.suspectInterval)
		opts := append([]restateserver.Option{
			restateserver.WithNodeName(n.Name),
			restateserver.WithPorts(ports[3*i], ports[3*i+1], ports[3*i+2]),
			restateserver.WithEnv(env...),
		}, cfg.server...)
		c.Nodes[i] = n
		wg.Go(func() {
			// A node that does not provision waits for the one that does,
			// and none is ready before enough log servers joined: start
			// them all at once.
			n.Server, errs[i] = restateserver.Start(ctx, opts...)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("node %s: %w", n.Name, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

// nodeEnv is the cluster configuration of one node, as restate-server reads it
// from its environment; metadataAddresses is a JSON array of every node's
// node-to-node URL. Node name, base dir and ports come on top
// (restateserver sets them).
func nodeEnv(clusterName string, provisions bool, metadataAddresses string, replication, partitions int, suspectInterval time.Duration) []string {
	return []string{
		"RESTATE_CLUSTER_NAME=" + clusterName,
		"RESTATE_AUTO_PROVISION=" + strconv.FormatBool(provisions),
		"RESTATE_METADATA_CLIENT__ADDRESSES=" + metadataAddresses,
		"RESTATE_BIFROST__DEFAULT_PROVIDER=replicated",
		"RESTATE_DEFAULT_REPLICATION=" + strconv.Itoa(replication),
		"RESTATE_DEFAULT_NUM_PARTITIONS=" + strconv.Itoa(partitions),
		"RESTATE_LISTEN_MODE=tcp",
		"RESTATE_BIND_IP=127.0.0.1",
		"RESTATE_GOSSIP_SUSPECT_INTERVAL=" + suspectInterval.String(),
		"RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE=" + rocksdbMemory,
	}
}

// Stop stops every node (at once: a node waiting for peers that are gone
// would only slow the others down) and removes their data.
func (c *Cluster) Stop() error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		if n == nil || n.Server == nil {
			continue
		}
		wg.Go(func() { errs[i] = n.Stop() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// IngressURLs lists every node's ingress URL, in node order.
func (c *Cluster) IngressURLs() []string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.IngressURL
	}
	return urls
}

// AdminURLs lists every node's admin URL, in node order.
func (c *Cluster) AdminURLs() []string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.AdminURL
	}
	return urls
}

// Node returns the node named name, or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// portTaken tells whether a node died binding a port, going by the end
// of its log that restateserver puts in the error.
func portTaken(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "failed binding") || strings.Contains(msg, "address in use")
}

// randomSuffix keeps two clusters on one machine apart, should one's node
// ever reach the other's port.
func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// waitFor polls cond until it holds or ctx ends; what names the condition
// in the error.
func waitFor(ctx context.Context, what string, cond func(context.Context) (bool, error)) error {
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
