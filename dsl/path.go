package dsl

import (
	"fmt"
	"strings"
)

// path is an expression that only reads a value: a root name followed by
// member names, such as steps.charge.output.id or item.sku. Most template
// expressions are such paths. expr would compile each into a program (about
// ten microseconds, most of the cost of loading a large definition) and run
// it in its VM; a path is parsed by hand and evaluated by walking maps,
// with the result expr would give (TestPathMatchesExpr).
type path struct {
	root    string
	members []string
	refs    []reference // as referenceCollector would find them
}

// pathRoots are the names a path may start with: those of Env whose type
// is a map or any, so that expr checks none of their member names at load
// time either. workflow, error and index have fixed types and go through
// expr, which checks their members.
var pathRoots = map[string]bool{"input": true, "steps": true, "vars": true, "item": true}

// exprKeywords are words expr reads as operators or literals, never as
// member names.
var exprKeywords = map[string]bool{
	"in": true, "not": true, "and": true, "or": true, "matches": true, "contains": true,
	"startsWith": true, "endsWith": true, "let": true, "true": true, "false": true, "nil": true,
}

// parsePath returns src as a path, or false if it is any other expression.
// maxNodes is the definition's limit on expression nodes: a longer path is
// left to expr, which reports it.
func parsePath(src string, maxNodes int) (*path, bool) {
	start := len(src) - len(strings.TrimLeft(src, " \t\r\n"))
	body := strings.TrimRight(src[start:], " \t\r\n")
	if body == "" || strings.Count(body, ".")+1 > maxNodes {
		return nil, false
	}
	p := &path{}
	offset := start // the source is ASCII up to here, so bytes count runes
	for i, name := range strings.Split(body, ".") {
		if !isIdentifier(name) || exprKeywords[name] {
			return nil, false
		}
		if i == 0 {
			if !pathRoots[name] {
				return nil, false
			}
			p.root = name
		} else {
			p.members = append(p.members, name)
		}
		switch {
		case i == 0 && scopedNames[name]:
			p.refs = append(p.refs, reference{root: name, offset: offset})
		case i == 1 && (p.root == "steps" || p.root == "vars"):
			p.refs = append(p.refs, reference{root: p.root, name: name, offset: offset})
		case i == 2 && p.root == "steps":
			p.refs[0].field = name
		}
		offset += len(name) + 1
	}
	return p, true
}

func isIdentifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// eval reads the path from env. A member of a missing value is an error,
// as in expr; a missing member of an object is null.
func (p *path) eval(env *Env) (any, error) {
	var v any
	switch p.root {
	case "input":
		v = env.Input
	case "steps":
		v = env.Steps
	case "vars":
		v = env.Vars
	case "item":
		v = env.Item
	}
	for _, name := range p.members {
		switch m := v.(type) {
		case map[string]any:
			v = m[name]
		case nil:
			return nil, fmt.Errorf("cannot fetch %s from <nil>", name)
		default:
			return nil, fmt.Errorf("cannot fetch %s from %s", name, describe(v))
		}
	}
	return v, nil
}
