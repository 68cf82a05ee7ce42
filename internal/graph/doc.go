// Package graph draws a compiled workflow definition as a Mermaid flowchart
// or a Graphviz DOT digraph: one node per step, steps of a list joined in
// order, and each nested list (a switch case, a parallel branch, a foreach
// body, a catch handler) as a labelled subgraph hanging off its step. Given
// the states of a run's steps, nodes are coloured by state.
package graph
