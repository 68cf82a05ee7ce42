package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Roles is what a node does in the cluster right now. All nodes are
// configured alike; these are the parts restate hands out at run time.
type Roles struct {
	// ID is the node id restate gave the node when it first joined (N1 is
	// 1); ids follow join order, not node names.
	ID int
	// Partitions counts the partition processors the node runs (leaders
	// and followers); Leaders those it leads, which are the ones that stop
	// until another node takes over when it dies.
	Partitions, Leaders int
	// MetadataLeader tells whether the node leads the replicated metadata
	// store.
	MetadataLeader bool
}

func (r Roles) String() string {
	s := fmt.Sprintf("N%d, runs %d partitions, leads %d", r.ID, r.Partitions, r.Leaders)
	if r.MetadataLeader {
		s += ", leads the metadata store"
	}
	return s
}

// nodeIDLine is how restate 1.7 logs the id it joined with:
// "My Node ID is N2:1 node_name=n2 roles=..." (N<id>:<generation>).
var nodeIDLine = regexp.MustCompile(`My Node ID is N(\d+):\d+`)

// Roles reads the node's roles from its Prometheus metrics, and its id
// from its log (the last id it reported, as the log spans restarts).
func (n *Node) Roles(ctx context.Context) (Roles, error) {
	var r Roles
	log, err := os.ReadFile(n.LogFile)
	if err != nil {
		return r, err
	}
	ids := nodeIDLine.FindAllSubmatch(log, -1)
	if len(ids) == 0 {
		return r, fmt.Errorf("node %s has not logged its node id yet (see %s)", n.Name, n.LogFile)
	}
	r.ID, _ = strconv.Atoi(string(ids[len(ids)-1][1]))
	metrics, err := n.metrics(ctx)
	if err != nil {
		return r, err
	}
	r.Partitions = int(metrics["restate_num_active_partitions"])
	r.Leaders = int(metrics["restate_num_active_partition_leaders"])
	leader, ok := metrics["restate_metadata_server_replicated_leader_id"]
	r.MetadataLeader = ok && int(leader) == r.ID
	return r, nil
}

// metrics reads the node's Prometheus metrics as one value per metric
// name, the first sample of each: the gauges Roles reads have a single
// sample, labelled only with the cluster and node names.
func (n *Node) metrics(ctx context.Context) (map[string]float64, error) {
	body, err := get(ctx, n.NodeURL+"/metrics")
	if err != nil {
		return nil, fmt.Errorf("node %s metrics: %w", n.Name, err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, "{")
		if i := strings.IndexByte(name, ' '); i >= 0 {
			name, rest = name[:i], name[i:]
		} else if j := strings.LastIndexByte(rest, '}'); j >= 0 {
			rest = rest[j+1:]
		}
		if _, seen := out[name]; seen {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// MetadataMembers lists the node ids of the metadata store's members, as
// the admin API of node n sees them.
func (n *Node) MetadataMembers(ctx context.Context) ([]int, error) {
	body, err := get(ctx, n.AdminURL+"/cluster-health")
	if err != nil {
		return nil, fmt.Errorf("node %s cluster health: %w", n.Name, err)
	}
	var health struct {
		Metadata struct {
			Members []int `json:"members"`
		} `json:"metadata_cluster_health"`
	}
	if err := json.Unmarshal(body, &health); err != nil {
		return nil, fmt.Errorf("node %s cluster health: %w", n.Name, err)
	}
	return health.Metadata.Members, nil
}

// AllRoles reads every running node's roles, by node name. Nodes that are
// not running are left out.
func (c *Cluster) AllRoles(ctx context.Context) (map[string]Roles, error) {
	out := map[string]Roles{}
	for _, n := range c.Nodes {
		if n.Pid() == 0 {
			continue
		}
		r, err := n.Roles(ctx)
		if err != nil {
			return nil, err
		}
		out[n.Name] = r
	}
	return out, nil
}

// WaitLeaders waits until every partition has a leader among the running
// nodes; partitions is the cluster's number of partitions.
func (c *Cluster) WaitLeaders(ctx context.Context, partitions int) error {
	return waitFor(ctx, fmt.Sprintf("every one of %d partitions has a leader", partitions), func(ctx context.Context) (bool, error) {
		roles, err := c.AllRoles(ctx)
		if err != nil {
			return false, err
		}
		leaders := 0
		for _, r := range roles {
			leaders += r.Leaders
		}
		return leaders >= partitions, nil
	})
}

// WaitRejoined waits until node n, restarted, is part of the cluster
// again: it runs partition processors, and the metadata store, as the
// other running nodes see it, counts it as a member.
func (c *Cluster) WaitRejoined(ctx context.Context, n *Node) error {
	return waitFor(ctx, "node "+n.Name+" rejoined the cluster", func(ctx context.Context) (bool, error) {
		r, err := n.Roles(ctx)
		if err != nil || r.Partitions == 0 {
			return false, err
		}
		for _, other := range c.Nodes {
			if other == n || other.Pid() == 0 {
				continue
			}
			members, err := other.MetadataMembers(ctx)
			if err != nil || !slices.Contains(members, r.ID) {
				return false, err
			}
		}
		return true, nil
	})
}

func get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}
