package graph

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/reaflow/reaflow/dsl"
)

// Format is an output language.
type Format string

const (
	Mermaid Format = "mermaid"
	DOT     Format = "dot"
)

// Formats lists the formats Render writes.
var Formats = []Format{Mermaid, DOT}

// States maps step ids to the state a run left them in ("done", "failed",
// "waiting", ...; see internal/runstatus). Steps without an entry are drawn
// plain.
type States map[string]string

// colors are the fill colours of states; states not listed are drawn plain.
var colors = map[string]string{
	"done":                "#c8e6c9",
	"running":             "#bbdefb",
	"retrying":            "#ffe0b2",
	"waiting":             "#fff9c4",
	"failed":              "#ffcdd2",
	"caught":              "#ffe0b2",
	"cancelled":           "#e0e0e0",
	"skipped":             "#f5f5f5",
	"compensating":        "#d1c4e9",
	"compensated":         "#d1c4e9",
	"compensation failed": "#ef9a9a",
}

// Render writes the program's graph in format, with nodes coloured by
// states when it is not nil.
func Render(w io.Writer, prog *dsl.Program, format Format, states States) error {
	g := &graph{states: states}
	g.list(prog.Steps)
	switch format {
	case Mermaid:
		g.mermaid(w, prog)
	case DOT:
		g.dot(w, prog)
	default:
		return fmt.Errorf("unknown graph format %q; use one of: mermaid, dot", format)
	}
	return nil
}

// graph is the definition flattened into nodes, edges and clusters, in
// document order, so both formats print the same structure.
type graph struct {
	states   States
	nodes    []node
	edges    []edge
	clusters []*cluster
	current  *cluster // the cluster nodes are added to; nil at the top
}

type node struct {
	id, label, shape string
	cluster          *cluster
}

type edge struct{ from, to string }

type cluster struct {
	id, label string
	parent    *cluster
}

// list adds a list of steps joined in order and returns the ids of its
// first and last steps.
func (g *graph) list(steps []dsl.Step) (first, last string) {
	for _, s := range steps {
		id := g.step(s)
		if first == "" {
			first = id
		} else {
			g.edges = append(g.edges, edge{from: last, to: id})
		}
		last = id
	}
	return first, last
}

// step adds a step's node, and the subgraphs of the lists it holds.
func (g *graph) step(s dsl.Step) string {
	info := s.Info()
	id := nodeID(info.ID)
	label, shape := info.ID, "box"
	switch s := s.(type) {
	case *dsl.ActivityStep:
		label += "\\nactivity " + s.Activity
		if s.Compensate != nil {
			label += "\\nundo: " + s.Compensate.Activity
		}
	case *dsl.SetStep:
		label += "\\nset"
	case *dsl.SwitchStep:
		label += "\\nswitch"
		shape = "diamond"
	case *dsl.ParallelStep:
		label += "\\nparallel"
		shape = "fork"
	case *dsl.ForeachStep:
		label += fmt.Sprintf("\\nforeach %s (%d at once)", s.Items.Source, s.Concurrency)
		shape = "fork"
	case *dsl.SleepStep:
		if s.Until != nil {
			label += "\\nsleep until " + s.Until.Source
		} else {
			label += "\\nsleep " + duration(s.Duration)
		}
		shape = "round"
	case *dsl.AwaitStep:
		label += "\\nawait signal " + s.Signal
		shape = "round"
	case *dsl.FailStep:
		label += "\\nfail " + s.Error
		shape = "stop"
	case *dsl.ReturnStep:
		label += "\\nreturn"
		shape = "stop"
	case *dsl.WorkflowStep:
		label += "\\nchild run"
	}
	if info.When != nil {
		label += "\\nwhen " + info.When.Source
	}
	if info.Timeout > 0 {
		label += "\\ntimeout " + duration(info.Timeout)
	}
	g.nodes = append(g.nodes, node{id: id, label: label, shape: shape, cluster: g.current})
	switch s := s.(type) {
	case *dsl.SwitchStep:
		for i, c := range s.Cases {
			g.block(id, fmt.Sprintf("%s_case%d", id, i+1), "case "+c.When.Source, c.Steps)
		}
		if s.Default != nil {
			g.block(id, id+"_default", "default", s.Default)
		}
	case *dsl.ParallelStep:
		for _, b := range s.Branches {
			g.block(id, id+"_"+b.Name, "branch "+b.Name, b.Steps)
		}
	case *dsl.ForeachStep:
		g.block(id, id+"_each", "each item", s.Steps)
	}
	for i, c := range info.Catch {
		what := "catch any error"
		if len(c.Errors) > 0 {
			what = "catch " + strings.Join(c.Errors, ", ")
		}
		g.block(id, fmt.Sprintf("%s_catch%d", id, i+1), what, c.Steps)
	}
	return id
}

// block adds a nested list as a cluster, with an edge from its step to its
// first step.
func (g *graph) block(from, id, label string, steps []dsl.Step) {
	c := &cluster{id: id, label: label, parent: g.current}
	g.clusters = append(g.clusters, c)
	outer := g.current
	g.current = c
	first, _ := g.list(steps)
	g.current = outer
	if first != "" {
		// The cluster's label says what the list is; the edge needs none.
		g.edges = append(g.edges, edge{from: from, to: first})
	}
}

// duration writes a duration as people do: 24h rather than 24h0m0s.
func duration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// nodeID keeps a step id usable as a node id in both languages: step ids
// are letters, digits and '_', but "end" and "graph" are keywords there.
func nodeID(stepID string) string { return "s_" + stepID }

func (g *graph) stateOf(n node) (string, bool) {
	if g.states == nil {
		return "", false
	}
	st, ok := g.states[strings.TrimPrefix(n.id, "s_")]
	return st, ok && colors[st] != ""
}

// mermaidShapes maps shapes to Mermaid's node brackets.
var mermaidShapes = map[string][2]string{
	"box": {"[", "]"}, "diamond": {"{", "}"}, "fork": {"[/", "/]"}, "round": {"(", ")"}, "stop": {"[[", "]]"},
}

func (g *graph) mermaid(w io.Writer, prog *dsl.Program) {
	fmt.Fprintf(w, "---\ntitle: %s %s\n---\nflowchart TD\n", prog.Name, prog.Version)
	g.each(func(c *cluster, depth int, open bool) {
		indent := strings.Repeat("  ", depth+1)
		if open {
			fmt.Fprintf(w, "%ssubgraph %s [\"%s\"]\n", indent, c.id, escape(c.label))
		} else {
			fmt.Fprintf(w, "%send\n", indent)
		}
	}, func(n node, depth int) {
		b := mermaidShapes[n.shape]
		fmt.Fprintf(w, "%s%s%s\"%s\"%s\n", strings.Repeat("  ", depth+1), n.id, b[0], strings.ReplaceAll(escape(n.label), "\\n", "<br/>"), b[1])
	})
	for _, e := range g.edges {
		fmt.Fprintf(w, "  %s --> %s\n", e.from, e.to)
	}
	var used []string
	for _, n := range g.nodes {
		if st, ok := g.stateOf(n); ok {
			class := strings.ReplaceAll(st, " ", "_")
			fmt.Fprintf(w, "  class %s %s\n", n.id, class)
			if !slices.Contains(used, st) {
				used = append(used, st)
			}
		}
	}
	for _, st := range used {
		fmt.Fprintf(w, "  classDef %s fill:%s\n", strings.ReplaceAll(st, " ", "_"), colors[st])
	}
}

// dotShapes maps shapes to Graphviz node shapes.
var dotShapes = map[string]string{"box": "box", "diamond": "diamond", "fork": "parallelogram", "round": "ellipse", "stop": "octagon"}

func (g *graph) dot(w io.Writer, prog *dsl.Program) {
	fmt.Fprintf(w, "digraph %q {\n  label=\"%s %s\";\n  labelloc=t;\n  node [fontname=\"Helvetica\", style=filled, fillcolor=white];\n", prog.Name, escape(prog.Name), escape(prog.Version))
	g.each(func(c *cluster, depth int, open bool) {
		indent := strings.Repeat("  ", depth+1)
		if open {
			fmt.Fprintf(w, "%ssubgraph cluster_%s {\n%s  label=\"%s\";\n", indent, c.id, indent, escape(c.label))
		} else {
			fmt.Fprintf(w, "%s}\n", indent)
		}
	}, func(n node, depth int) {
		fill := ""
		if st, ok := g.stateOf(n); ok {
			fill = fmt.Sprintf(", fillcolor=%q", colors[st])
		}
		fmt.Fprintf(w, "%s%s [label=\"%s\", shape=%s%s];\n", strings.Repeat("  ", depth+1), n.id, escape(n.label), dotShapes[n.shape], fill)
	})
	for _, e := range g.edges {
		fmt.Fprintf(w, "  %s -> %s;\n", e.from, e.to)
	}
	fmt.Fprintln(w, "}")
}

// each walks the clusters as a tree, calling visitCluster when one opens
// and closes and visitNode for each node inside, top-level nodes first.
func (g *graph) each(visitCluster func(c *cluster, depth int, open bool), visitNode func(n node, depth int)) {
	var walk func(parent *cluster, depth int)
	walk = func(parent *cluster, depth int) {
		for _, n := range g.nodes {
			if n.cluster == parent {
				visitNode(n, depth)
			}
		}
		for _, c := range g.clusters {
			if c.parent == parent {
				visitCluster(c, depth, true)
				walk(c, depth+1)
				visitCluster(c, depth, false)
			}
		}
	}
	walk(nil, 0)
}

// escape makes text safe inside a double-quoted label of either language.
func escape(s string) string {
	return strings.NewReplacer(`"`, "'", "\n", " ").Replace(s)
}
