package dsl

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
)

// checker holds the state of one Load past parsing: the document, the
// errors found so far, and what the steps declare, which references are
// checked against.
type checker struct {
	doc  *document
	cfg  *config
	errs ErrorList

	steps     []*value       // the elements of "steps", whatever their type
	firstStep map[string]int // step id -> index of the step declaring it
	ids       []string       // step ids in order, for suggestions
	setBy     map[string]int // variable -> index of the first set step assigning it
	exprs     int            // expressions compiled so far
	exprCfg   *conf.Config   // shared by the definition's expressions, built on first use
}

func (c *checker) errorAt(v *value, msg string) {
	c.errs = append(c.errs, c.doc.errorAt(v.ptr, v.offset, msg))
}

// compile builds the Program. It runs even when the schema check failed,
// so that all problems are reported together: everything below skips
// values of the wrong shape, which the schema check has reported already.
func (c *checker) compile() *Program {
	root := c.doc.root
	p := &Program{File: c.doc.file}
	p.Name, _ = root.get("name").str()
	p.Version, _ = root.get("version").str()
	p.Description, _ = root.get("description").str()

	c.declare(root.get("steps"))
	p.index = make(map[string]Step, len(c.steps))
	for i, v := range c.steps {
		if s := c.step(i, v); s != nil {
			p.Steps = append(p.Steps, s)
			if _, dup := p.index[s.Info().ID]; !dup {
				p.index[s.Info().ID] = s
			}
		}
	}
	if out := root.get("output"); out != nil {
		p.Output = c.template(out, len(c.steps)) // output sees every step
	}
	if in := root.get("input"); in != nil {
		p.input = c.inputSchema(in)
	}
	p.Canonical = canonical(root)
	p.Hash = hashOf(p.Canonical)
	return p
}

// declare records step ids and the variables set steps assign, before any
// expression is compiled, so a reference to a later step can be told
// apart from a reference to no step at all.
func (c *checker) declare(steps *value) {
	c.firstStep = map[string]int{}
	c.setBy = map[string]int{}
	if steps == nil || steps.kind != kindArray {
		return
	}
	c.steps = steps.items
	for i, s := range steps.items {
		idValue := s.get("id")
		id, ok := idValue.str()
		if !ok {
			continue
		}
		if first, dup := c.firstStep[id]; dup {
			c.errorAt(idValue, fmt.Sprintf("duplicate step id %q: already used by step %s", id, c.steps[first].ptr))
			continue
		}
		c.firstStep[id] = i
		c.ids = append(c.ids, id)
		if set := s.get("set"); set != nil && set.kind == kindObject {
			for _, m := range set.members {
				if _, ok := c.setBy[m.key]; !ok {
					c.setBy[m.key] = i
				}
			}
		}
	}
}

// step compiles the i-th step. It returns nil for a step the schema
// rejected (not an object, no kind or two kinds).
func (c *checker) step(i int, v *value) Step {
	if v.kind != kindObject {
		return nil
	}
	info := StepInfo{Pointer: v.ptr}
	info.ID, _ = v.get("id").str()
	info.Description, _ = v.get("description").str()
	if when := v.get("when"); when != nil && when.kind == kindString {
		info.When = c.bareExpr(when, resultBool, i)
	}
	activity, set := v.get("activity"), v.get("set")
	switch {
	case activity != nil && set == nil:
		s := &ActivityStep{StepInfo: info}
		if name, ok := activity.str(); ok && name != "" {
			s.Activity = name
			c.checkActivity(activity, name)
		}
		if with := v.get("with"); with != nil {
			s.With = c.template(with, i)
		}
		if retry := v.get("retry"); retry != nil {
			s.Retry = c.retry(retry)
		}
		if dedup := v.get("dedup"); dedup != nil && dedup.kind == kindString {
			s.Dedup = c.bareExpr(dedup, resultString, i)
		}
		return s
	case set != nil && activity == nil && set.kind == kindObject:
		s := &SetStep{StepInfo: info}
		for _, m := range set.members {
			s.Vars = append(s.Vars, Assignment{Name: m.key, Value: c.template(m.value, i)})
		}
		return s
	}
	return nil
}

func (c *checker) checkActivity(v *value, name string) {
	if c.cfg.known == nil || c.cfg.known(name) {
		return
	}
	msg := fmt.Sprintf("unknown activity %q", name)
	if len(c.cfg.names) > 0 {
		msg += "; registered: " + strings.Join(c.cfg.names, ", ")
	}
	c.errorAt(v, msg)
}

func (c *checker) retry(v *value) *RetryPolicy {
	if v.kind != kindObject {
		return nil
	}
	p := &RetryPolicy{}
	if n := v.get("maxAttempts"); n != nil && n.kind == kindNumber {
		// The schema requires an integer >= 1; JSON allows writing it
		// as 3.0 or 3e0, so parse as a float.
		f, _ := strconv.ParseFloat(n.text, 64)
		if f > math.MaxInt32 {
			c.errorAt(n, fmt.Sprintf("maxAttempts must be at most %d", math.MaxInt32))
		}
		p.MaxAttempts = int(min(f, math.MaxInt32))
	}
	initial, maxInterval := v.get("initialInterval"), v.get("maxInterval")
	p.InitialInterval = c.duration(initial)
	p.MaxInterval = c.duration(maxInterval)
	if p.InitialInterval > 0 && p.MaxInterval > 0 && p.InitialInterval > p.MaxInterval {
		c.errorAt(initial, fmt.Sprintf("initialInterval %s is longer than maxInterval %s", p.InitialInterval, p.MaxInterval))
	}
	if f := v.get("backoffFactor"); f != nil && f.kind == kindNumber {
		p.BackoffFactor, _ = strconv.ParseFloat(f.text, 64)
	}
	return p
}

// duration parses a Go duration string; 0 means absent or invalid.
func (c *checker) duration(v *value) time.Duration {
	s, ok := v.str()
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		c.errorAt(v, fmt.Sprintf("invalid duration %q: use Go syntax such as \"100ms\", \"2s\" or \"1m30s\"", s))
		return 0
	case d <= 0:
		c.errorAt(v, fmt.Sprintf("duration %q must be positive", s))
		return 0
	}
	return d
}

// bareExpr compiles a when or dedup expression: the whole string is the
// expression, no ${ }.
func (c *checker) bareExpr(v *value, result resultKind, scope int) *Expr {
	src := strings.TrimSpace(v.text)
	base := strings.Index(v.text, src)
	switch {
	case src == "":
		c.errorAt(v, "expression is empty")
		return nil
	case strings.HasPrefix(src, "${") && strings.HasSuffix(src, "}"):
		c.errorAt(v, fmt.Sprintf("write this expression without ${ }: %s", strings.TrimSpace(src[2:len(src)-1])))
		return nil
	}
	return c.compileExpr(v, src, base, src, result, scope)
}

// compileExpr compiles src, found at byte offset base of the string v, as
// part of the step at index scope (len(c.steps) for the output).
func (c *checker) compileExpr(v *value, src string, base int, written string, result resultKind, scope int) *Expr {
	// Compiling costs far more than parsing JSON, so the size limit alone
	// does not bound the work a definition of "${1}${1}..." causes.
	if c.exprs++; c.exprs > maxExprs {
		if c.exprs == maxExprs+1 {
			c.errorAt(v, fmt.Sprintf("more than %d expressions in one definition", maxExprs))
		}
		return nil
	}
	if len(src) > maxExprLen {
		c.errorAt(v, fmt.Sprintf("expression is %d bytes long, more than the limit of %d", len(src), maxExprLen))
		return nil
	}
	if c.exprCfg == nil {
		c.exprCfg = newExprConfig()
	}
	refs := &referenceCollector{}
	program, err := compileExprSource(src, c.exprCfg, refs)
	if err == nil {
		err = checkResultType(program, result)
	}
	if err != nil {
		runeOffset, msg := 0, err.Error()
		var fe *file.Error
		if errors.As(err, &fe) {
			runeOffset, msg = fe.From, fe.Message
		}
		if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
			if why, removed := removedBuiltins[name]; removed {
				msg = fmt.Sprintf("%s() is not available: %s", name, why)
			} else {
				msg += suggest(name, exprNames)
			}
		}
		c.exprError(v, src, base, runeOffset, msg)
		return nil
	}
	c.checkReferences(v, src, base, refs.refs, scope)
	return &Expr{Source: src, Pointer: v.ptr, written: written, program: program}
}

// exprError reports msg at the character runeOffset of the expression
// src, found at byte offset base of the string v.
func (c *checker) exprError(v *value, src string, base, runeOffset int, msg string) {
	byteOffset := len(src)
	for i := range src {
		if runeOffset == 0 {
			byteOffset = i
			break
		}
		runeOffset--
	}
	c.errs = append(c.errs, c.doc.errorAt(v.ptr, c.doc.stringOffset(v.offset, base+byteOffset), msg))
}

// checkReferences checks that steps.<id> names a step that runs before
// the step at index scope, and that vars.<name> names a variable an
// earlier set step assigns. Both are static: a reference written as
// steps[someExpression] cannot be checked and yields nil if it names no
// completed step.
func (c *checker) checkReferences(v *value, src string, base int, refs []reference, scope int) {
	for _, r := range refs {
		var msg string
		switch r.root {
		case "steps":
			i, ok := c.firstStep[r.name]
			switch {
			case !ok:
				msg = fmt.Sprintf("unknown step %q", r.name) + suggest(r.name, c.ids)
			case i == scope:
				msg = fmt.Sprintf("a step cannot use its own output (steps.%s)", r.name)
			case i > scope:
				msg = fmt.Sprintf("step %q runs after this step", r.name)
			case r.field != "" && r.field != "output":
				msg = fmt.Sprintf("steps.%s has no field %q; a step's result is steps.%s.output", r.name, r.field, r.name)
			}
		case "vars":
			i, ok := c.setBy[r.name]
			switch {
			case !ok:
				msg = fmt.Sprintf("variable %q is not set by any step", r.name) + suggest(r.name, mapKeys(c.setBy))
			case i == scope:
				msg = fmt.Sprintf("variable %q is set by this same step; a step sees only the variables of the steps before it", r.name)
			case i > scope:
				id, _ := c.steps[i].get("id").str()
				msg = fmt.Sprintf("variable %q is first set by step %q, which does not run before this step", r.name, id)
			}
		}
		if msg != "" {
			c.exprError(v, src, base, r.offset, msg)
		}
	}
}

func mapKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// template compiles a JSON value into a Template.
func (c *checker) template(v *value, scope int) *Template {
	return &Template{Pointer: v.ptr, root: c.node(v, scope), raw: canonical(v)}
}

func (c *checker) node(v *value, scope int) node {
	switch v.kind {
	case kindString:
		return c.stringNode(v, scope)
	case kindArray:
		n := &array{items: make([]node, len(v.items))}
		for i, item := range v.items {
			n.items[i] = c.node(item, scope)
		}
		return fold(n)
	case kindObject:
		n := &object{}
		for _, m := range v.members {
			n.keys = append(n.keys, m.key)
			n.values = append(n.values, c.node(m.value, scope))
		}
		return fold(n)
	case kindNumber:
		// Like json.Unmarshal into any: an activity decodes its input
		// from the JSON encoding anyway, where 3 and 3.0 are the same.
		f, _ := strconv.ParseFloat(v.text, 64)
		return &constant{f}
	case kindBool:
		return &constant{v.boolean}
	}
	return &constant{nil}
}

// fold replaces an object or array without expressions by its value, built
// once here instead of on every Eval.
func fold(n node) node {
	var children []node
	switch n := n.(type) {
	case *array:
		children = n.items
	case *object:
		children = n.values
	}
	for _, child := range children {
		if _, ok := child.(*constant); !ok {
			return n
		}
	}
	value, _ := n.eval(nil) // constants cannot fail
	return &constant{value}
}

func (c *checker) stringNode(v *value, scope int) node {
	segs, offset, err := splitTemplate(v.text)
	if err != nil {
		c.errs = append(c.errs, c.doc.errorAt(v.ptr, c.doc.stringOffset(v.offset, offset), err.Error()))
		return &constant{nil}
	}
	if len(segs) == 1 && !segs[0].isExpr {
		return &constant{segs[0].text}
	}
	if len(segs) == 1 {
		return &typed{c.templateExpr(v, segs[0], scope)}
	}
	n := &interpolation{}
	text := ""
	for _, seg := range segs {
		if !seg.isExpr {
			text = seg.text
			continue
		}
		n.text = append(n.text, text)
		n.exprs = append(n.exprs, c.templateExpr(v, seg, scope))
		text = ""
	}
	n.text = append(n.text, text)
	return n
}

func (c *checker) templateExpr(v *value, seg segment, scope int) *Expr {
	src := strings.TrimSpace(seg.text)
	if src == "" {
		c.errs = append(c.errs, c.doc.errorAt(v.ptr, c.doc.stringOffset(v.offset, seg.start), "empty ${ }"))
		return nil
	}
	base := seg.start + strings.Index(seg.text, src)
	return c.compileExpr(v, src, base, seg.written, resultAny, scope)
}

// suggest returns `; did you mean "x"?` for the candidate closest to name,
// or "" when none is close enough to be a likely typo.
func suggest(name string, candidates []string) string {
	best, bestDist := "", max(1, utf8.RuneCountInString(name)/3)+1 // a third of the name may be wrong
	for _, cand := range candidates {
		if d := editDistance(name, cand); d < bestDist {
			best, bestDist = cand, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance counts the insertions, deletions, substitutions and swaps
// of adjacent runes that turn a into b (optimal string alignment): a
// swap is the most common typo ("chrage", "inptu") and counts as one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
