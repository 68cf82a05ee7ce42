package dsl

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/file"

	suggestpkg "github.com/reaflow/reaflow/internal/suggest"
)

// checker holds the state of one Load past parsing: the document, the
// errors found so far, and what the steps declare, which references are
// checked against.
type checker struct {
	doc  *document
	cfg  *config
	lim  *limits // shared by the program's expressions and templates
	errs ErrorList

	decls     map[*value]*decl   // every step object, at any depth
	byID      map[string]*decl   // step id -> the step declaring it first
	ids       []string           // step ids in order, for suggestions
	setBy     map[string][]*decl // variable -> the set steps assigning it
	signals   map[string]*decl   // signal name -> the await step waiting for it
	exprs     int                // expressions compiled so far
	compiled  *compiledExprs     // shared by the definition's expressions, built on first use
	templates []pendingTemplate  // whose canonical JSON is taken from the definition's
	hints     int                // work spent on "did you mean" hints, see checker.suggest
	vars      []string           // variable names, sorted, for hints; built on first use
	inlined   bool               // a child definition file was inlined
}

// pendingTemplate is a template compiled from v, whose raw form is set
// once the canonical form of the whole definition is written.
type pendingTemplate struct {
	t *Template
	v *value
}

// decl is a step declared anywhere in the definition.
type decl struct {
	id     string
	index  int      // position in a depth-first walk: a step's blocks come right after it
	block  *block   // the block the step is in
	blocks []*block // the step's own blocks, in nestedBlocks order
}

// block is one list of steps: the workflow's own, a switch case, a
// parallel branch, a foreach body or a catch handler. Steps see the steps
// before them in their own block and in the blocks around it; nothing
// inside a nested block is visible outside it, where it may not have run.
type block struct {
	parent *block
	owner  *decl  // the step the block belongs to; nil for the workflow's steps
	kind   string // "switch", "parallel", "foreach" or "catch"
	branch string // the branch name of a parallel step's block
}

// outputOf says how code after the block reaches the output of its step id.
func (b *block) outputOf(id string) string {
	switch b.kind {
	case "parallel":
		return fmt.Sprintf("steps.%s.output.%s.%s", b.owner.id, b.branch, id)
	case "foreach":
		return fmt.Sprintf("steps.%s.output[i].%s (one per item)", b.owner.id, id)
	}
	return fmt.Sprintf("steps.%s.output.%s", b.owner.id, id)
}

// encloses reports whether b is inner or one of the blocks around it.
func (b *block) encloses(inner *block) bool {
	for ; inner != nil; inner = inner.parent {
		if inner == b {
			return true
		}
	}
	return false
}

// within returns the innermost block of the kind around b, or nil.
func (b *block) within(kind string) *block {
	for ; b != nil; b = b.parent {
		if b.kind == kind {
			return b
		}
	}
	return nil
}

// scope is where an expression is evaluated: in block, at the position of
// step index (math.MaxInt for the workflow's output). self is the step
// whose expression it is; ownOutput says whether that step's output is
// visible (in its compensation).
type scope struct {
	index     int
	block     *block
	self      *decl
	ownOutput bool
}

func (c *checker) errorAt(v *value, msg string) {
	c.errs = append(c.errs, c.doc.errorAt(v.pointer(), v.offset, msg))
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
	p.Timeout = c.duration(root.get("timeout"))

	top := &block{}
	c.decls, c.byID, c.setBy, c.signals = map[*value]*decl{}, map[string]*decl{}, map[string][]*decl{}, map[string]*decl{}
	c.declare(root.get("steps"), top)
	p.index = make(map[string]Step, len(c.decls))
	p.Steps = c.steps(root.get("steps"), top, p)
	if out := root.get("output"); out != nil {
		p.Output = c.template(out, scope{index: math.MaxInt, block: top}) // output sees every top-level step
	}
	p.input = &inputSchema{maxDepth: c.lim.maxDepth}
	if in := root.get("input"); in != nil {
		p.input = c.compileUserSchema(in, "input")
	}
	// The buffer is sized for the whole file, but an inline child
	// definition shares its parent's document: sized so, each of thousands
	// of children would allocate as much as the file.
	sizeHint := len(c.doc.data)
	if root.parent != nil {
		sizeHint = 0
	}
	p.Canonical = canonical(root, sizeHint)
	p.Hash = hashOf(p.Canonical)
	for _, pending := range c.templates {
		// Writing the definition's canonical form recorded where each of
		// its values is in it.
		pending.t.raw = p.Canonical[pending.v.canonStart:pending.v.canonEnd:pending.v.canonEnd]
	}
	p.Inlined = c.inlined
	return p
}

// declare records the steps of a list and of every block nested in them,
// depth first, before any expression is compiled, so that a reference to a
// later step can be told apart from a reference to no step at all.
func (c *checker) declare(steps *value, b *block) {
	if steps == nil || steps.kind != kindArray {
		return
	}
	for _, s := range steps.items {
		if s.kind != kindObject {
			continue
		}
		d := &decl{index: len(c.decls), block: b}
		c.decls[s] = d
		idValue := s.get("id")
		if id, ok := idValue.str(); ok {
			d.id = id
			if first, dup := c.byID[id]; dup {
				c.errorAt(idValue, fmt.Sprintf("duplicate step id %q: already used by step %s", id, c.pointerOf(first)))
			} else {
				c.byID[id] = d
				c.ids = append(c.ids, id)
			}
		}
		if set := s.get("set"); set != nil && set.kind == kindObject {
			for _, m := range set.members {
				c.setBy[m.key] = append(c.setBy[m.key], d)
			}
		}
		for _, nested := range nestedBlocks(s) {
			inner := &block{parent: b, owner: d, kind: nested.kind, branch: nested.branch}
			d.blocks = append(d.blocks, inner)
			c.declare(nested.steps, inner)
		}
	}
}

// nestedBlock is a list of steps inside a step.
type nestedBlock struct {
	kind   string
	steps  *value
	branch string
}

// nestedBlocks lists the step lists inside step s, in document order.
// declare and steps both walk them in this order.
func nestedBlocks(s *value) []nestedBlock {
	var out []nestedBlock
	if sw := s.get("switch"); sw != nil {
		if cases := sw.get("cases"); cases != nil && cases.kind == kindArray {
			for _, cs := range cases.items {
				out = append(out, nestedBlock{kind: "switch", steps: cs.get("steps")})
			}
		}
		if def := sw.get("default"); def != nil {
			out = append(out, nestedBlock{kind: "switch", steps: def})
		}
	}
	if par := s.get("parallel"); par != nil {
		if branches := par.get("branches"); branches != nil && branches.kind == kindObject {
			for _, m := range branches.members {
				out = append(out, nestedBlock{"parallel", m.value, m.key})
			}
		}
	}
	if each := s.get("foreach"); each != nil {
		out = append(out, nestedBlock{kind: "foreach", steps: each.get("steps")})
	}
	if catch := s.get("catch"); catch != nil && catch.kind == kindArray {
		for _, h := range catch.items {
			out = append(out, nestedBlock{kind: "catch", steps: h.get("steps")})
		}
	}
	return out
}

func (c *checker) pointerOf(d *decl) string {
	for v, other := range c.decls {
		if other == d {
			return v.pointer()
		}
	}
	return ""
}

// steps compiles a list of steps declared in block b, adding each to the
// program's index.
func (c *checker) steps(v *value, b *block, p *Program) []Step {
	if v == nil || v.kind != kindArray {
		return nil
	}
	var out []Step
	for _, item := range v.items {
		if s := c.step(item, b, p); s != nil {
			out = append(out, s)
			if id := s.Info().ID; id != "" {
				if _, dup := p.index[id]; !dup {
					p.index[id] = s
				}
			}
		}
	}
	return out
}

// step compiles one step. It returns nil for a step the schema rejected
// (not an object, no kind or two kinds).
func (c *checker) step(v *value, b *block, p *Program) Step {
	d := c.decls[v]
	if d == nil {
		return nil
	}
	at := scope{index: d.index, block: b, self: d}
	info := StepInfo{Pointer: v.pointer(), ID: d.id}
	info.Description, _ = v.get("description").str()
	if when := v.get("when"); when != nil && when.kind == kindString {
		info.When = c.bareExpr(when, resultBool, at)
	}
	info.Timeout = c.duration(v.get("timeout"))
	// Nested blocks are compiled in nestedBlocks order, the order in
	// which declare recorded them.
	blocks := d.blocks
	next := func() *block {
		nb := blocks[0]
		blocks = blocks[1:]
		return nb
	}
	step := c.kind(v, d, at, next, p)
	if step == nil {
		return nil
	}
	if catch := v.get("catch"); catch != nil && catch.kind == kindArray {
		for _, h := range catch.items {
			handler := &Catch{Pointer: h.pointer()}
			if errs := h.get("errors"); errs != nil && errs.kind == kindArray {
				for _, e := range errs.items {
					if code, ok := e.str(); ok {
						handler.Errors = append(handler.Errors, code)
					}
				}
			}
			handler.Steps = c.steps(h.get("steps"), next(), p)
			info.Catch = append(info.Catch, handler)
		}
	}
	*step.Info() = info
	return step
}

// kind compiles the part of a step that depends on its kind.
func (c *checker) kind(v *value, d *decl, at scope, next func() *block, p *Program) Step {
	present := []string{}
	for _, k := range stepKinds {
		if v.get(k) != nil {
			present = append(present, k)
		}
	}
	if len(present) != 1 {
		return nil // the schema check reported it
	}
	k := v.get(present[0])
	switch present[0] {
	case "activity":
		s := &ActivityStep{}
		if name, ok := k.str(); ok && name != "" {
			s.Activity = name
			c.checkActivity(k, name)
		}
		if with := v.get("with"); with != nil {
			s.With = c.template(with, at)
		}
		if retry := v.get("retry"); retry != nil {
			s.Retry = c.retry(retry)
		}
		if dedup := v.get("dedup"); dedup != nil && dedup.kind == kindString {
			s.Dedup = c.bareExpr(dedup, resultString, at)
		}
		if cb := v.get("callback"); cb != nil && cb.kind == kindBool {
			s.Callback = cb.boolean
		}
		if comp := v.get("compensate"); comp != nil && comp.kind == kindObject {
			s.Compensate = c.compensation(comp, at)
		}
		return s
	case "set":
		if k.kind != kindObject {
			return nil
		}
		s := &SetStep{}
		for _, m := range k.members {
			s.Vars = append(s.Vars, Assignment{Name: m.key, Value: c.template(m.value, at)})
		}
		return s
	case "switch":
		s := &SwitchStep{}
		if cases := k.get("cases"); cases != nil && cases.kind == kindArray {
			for _, cs := range cases.items {
				sc := &Case{}
				if when := cs.get("when"); when != nil && when.kind == kindString {
					sc.When = c.bareExpr(when, resultBool, at)
				}
				sc.Steps = c.steps(cs.get("steps"), next(), p)
				s.Cases = append(s.Cases, sc)
			}
		}
		if def := k.get("default"); def != nil {
			s.Default = c.steps(def, next(), p)
		}
		return s
	case "parallel":
		s := &ParallelStep{FailFast: true}
		if ff := k.get("failFast"); ff != nil && ff.kind == kindBool {
			s.FailFast = ff.boolean
		}
		if branches := k.get("branches"); branches != nil && branches.kind == kindObject {
			for _, m := range branches.members {
				s.Branches = append(s.Branches, &Branch{Name: m.key, Steps: c.steps(m.value, next(), p)})
			}
		}
		return s
	case "foreach":
		s := &ForeachStep{Concurrency: 1}
		if items := k.get("items"); items != nil && items.kind == kindString {
			s.Items = c.bareExpr(items, resultAny, at)
		}
		if n := k.get("concurrency"); n != nil && n.kind == kindNumber {
			f, _ := strconv.ParseFloat(n.text, 64)
			s.Concurrency = int(min(max(f, 1), MaxConcurrency))
		}
		s.Steps = c.steps(k.get("steps"), next(), p)
		return s
	case "sleep":
		s := &SleepStep{}
		if k.kind == kindString {
			s.Duration = c.duration(k)
		} else if until := k.get("until"); until != nil && until.kind == kindString {
			s.Until = c.bareExpr(until, resultAny, at)
		}
		return s
	case "await":
		s := &AwaitStep{}
		if sig := k.get("signal"); sig != nil {
			s.Signal, _ = sig.str()
			if other, dup := c.signals[s.Signal]; dup && s.Signal != "" {
				c.errorAt(sig, fmt.Sprintf("signal %q is already awaited by step %q; give each await its own signal name", s.Signal, other.id))
			} else if s.Signal != "" {
				c.signals[s.Signal] = d
				p.Signals = append(p.Signals, s.Signal)
			}
		}
		s.schema = &inputSchema{maxDepth: c.lim.maxDepth}
		if schema := k.get("schema"); schema != nil {
			s.schema = c.compileUserSchema(schema, "signal")
		}
		if onTimeout := k.get("onTimeout"); onTimeout != nil {
			if out := onTimeout.get("output"); out != nil {
				s.OnTimeout = c.template(out, at)
			}
			if v.get("timeout") == nil {
				c.errorAt(onTimeout, "onTimeout needs a timeout on the step")
			}
		}
		return s
	case "fail":
		s := &FailStep{}
		s.Error, _ = k.get("error").str()
		if msg := k.get("message"); msg != nil {
			s.Message = c.template(msg, at)
		}
		return s
	case "return":
		if outer := at.block.within("parallel"); outer != nil {
			c.errorAt(k, fmt.Sprintf("return cannot end the run from inside parallel step %q; use fail, or return after the parallel step", outer.owner.id))
		} else if outer := at.block.within("foreach"); outer != nil {
			c.errorAt(k, fmt.Sprintf("return cannot end the run from inside foreach step %q; use fail, or return after the foreach step", outer.owner.id))
		}
		return &ReturnStep{Output: c.template(k, at)}
	case "workflow":
		if k.kind != kindObject {
			return nil
		}
		s := &WorkflowStep{Wait: true}
		if wait := k.get("wait"); wait != nil && wait.kind == kindBool {
			s.Wait = wait.boolean
		}
		if input := k.get("input"); input != nil {
			s.Input = c.template(input, at)
		}
		s.Definition, s.File = c.child(k)
		return s
	}
	return nil
}

// child compiles the definition of a workflow step, inline or from its
// file, and returns its self-contained text and the name it goes by. A
// file's contents replace the reference in the document, so that the
// including definition's canonical form (and hash) covers the child.
func (c *checker) child(k *value) (text, name string) {
	if def := k.get("definition"); def != nil && def.kind == kindObject {
		// The child shares the document, so its errors point into this
		// file; the schema check has already covered it.
		doc := *c.doc
		doc.root = def
		// It shares the expression count too: the limit bounds the
		// compiling one definition costs, children included.
		sub := &checker{doc: &doc, cfg: c.cfg, lim: c.lim, exprs: c.exprs, compiled: c.compiled}
		prog := sub.compile()
		c.exprs, c.compiled = sub.exprs, sub.compiled
		c.errs = append(c.errs, sub.errs...)
		c.inlined = c.inlined || sub.inlined
		return string(prog.Canonical), c.doc.file + "#" + def.pointer()
	}
	ref := k.get("file")
	file, ok := ref.str()
	if !ok {
		return "", ""
	}
	if c.cfg.files == nil {
		c.errorAt(ref, fmt.Sprintf("file %q: child definitions in files are read by reaflow validate and submit, which inline them; a server does not read files", file))
		return "", ""
	}
	if slices.Contains(c.cfg.including, file) || file == c.doc.file {
		c.errorAt(ref, fmt.Sprintf("file %q includes itself", file))
		return "", ""
	}
	data, err := c.cfg.files(file)
	if err != nil {
		c.errorAt(ref, fmt.Sprintf("cannot read the child definition: %v", err))
		return "", ""
	}
	cfg := *c.cfg
	cfg.including = append(slices.Clone(c.cfg.including), c.doc.file)
	prog, err := Load(file, data, func(dst *config) { *dst = cfg })
	if err != nil {
		var list ErrorList
		if errors.As(err, &list) {
			c.errs = append(c.errs, list...)
		}
		c.errorAt(ref, fmt.Sprintf("the child definition %s is invalid (see above)", file))
		return "", ""
	}
	// Inline the child: the including definition's canonical form then
	// holds it, and the reference is gone from what runs.
	child, _ := parseDocument(file, prog.Canonical, c.cfg.maxDepth)
	for i, m := range k.members {
		if m.key == "file" {
			k.members[i] = member{key: "definition", keyOffset: m.keyOffset, value: child.root}
		}
	}
	c.inlined = true
	return string(prog.Canonical), file
}

// stepKinds are the members that give a step its kind; a step has exactly
// one of them.
var stepKinds = []string{"activity", "set", "switch", "parallel", "foreach", "sleep", "await", "fail", "return", "workflow"}

// MaxConcurrency bounds a foreach step's concurrency.
const MaxConcurrency = 100

func (c *checker) compensation(v *value, at scope) *Compensation {
	comp := &Compensation{Pointer: v.pointer()}
	if name, ok := v.get("activity").str(); ok && name != "" {
		comp.Activity = name
		c.checkActivity(v.get("activity"), name)
	}
	at.ownOutput = true
	if with := v.get("with"); with != nil {
		comp.With = c.template(with, at)
	}
	if retry := v.get("retry"); retry != nil {
		comp.Retry = c.retry(retry)
	}
	return comp
}

func (c *checker) checkActivity(v *value, name string) {
	if c.cfg.known == nil || c.cfg.known(name) {
		return
	}
	msg := "unknown activity " + quoteName(name)
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
func (c *checker) bareExpr(v *value, result resultKind, at scope) *Expr {
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
	return c.compileExpr(v, src, base, src, result, at)
}

// compileExpr compiles src, found at byte offset base of the string v,
// evaluated at scope at.
func (c *checker) compileExpr(v *value, src string, base int, written string, result resultKind, at scope) *Expr {
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
	if c.compiled == nil {
		// Sized for an expression in every hundred bytes, roughly what
		// definitions hold, so that it rarely grows.
		c.compiled = &compiledExprs{cfg: newExprConfig(c.lim.maxExprNodes), bySource: make(map[exprKey]*compiledExpr, len(c.doc.data)/100)}
	}
	compiled, err := c.compiled.compile(src, result)
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
	c.checkReferences(v, src, base, compiled.refs, at)
	return &Expr{Source: src, Pointer: v.pointer(), written: written, program: compiled.program, limits: c.lim}
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
	c.errs = append(c.errs, c.doc.errorAt(v.pointer(), c.doc.stringOffset(v.offset, base+byteOffset), msg))
}

// checkReferences checks that steps.<id> names a step that has completed
// where the expression is evaluated (before it, in its block or a block
// around it), that vars.<name> names a variable such a step assigns, and
// that item, index and error are used only inside a foreach or a catch.
// The first two are static: a reference written as steps[someExpression]
// cannot be checked and yields nil if it names no completed step.
func (c *checker) checkReferences(v *value, src string, base int, refs []reference, at scope) {
	for _, r := range refs {
		var msg string
		switch r.root {
		case "steps":
			msg = c.checkStepReference(r, at)
		case "vars":
			msg = c.checkVarReference(r, at)
		case "item", "index":
			if at.block.within("foreach") == nil {
				msg = fmt.Sprintf("%s is only defined inside a foreach step's steps", r.root)
			}
		case "error":
			if at.block.within("catch") == nil {
				msg = "error is only defined inside a catch handler's steps"
			}
		}
		if msg != "" {
			c.exprError(v, src, base, r.offset, msg)
		}
	}
}

func (c *checker) checkStepReference(r reference, at scope) string {
	d, ok := c.byID[r.name]
	switch {
	case !ok:
		return "unknown step " + quoteName(r.name) + c.suggest(r.name, c.ids)
	case d == at.self && !at.ownOutput:
		return fmt.Sprintf("a step cannot use its own output (steps.%s)", r.name)
	case d != at.self && at.block.owner != nil && isOwner(d, at.block):
		return fmt.Sprintf("step %q has not finished while its own steps run", r.name)
	case d.index > at.index:
		return fmt.Sprintf("step %q runs after this step", r.name)
	case !d.block.encloses(at.block):
		outer := d.block
		for !outer.parent.encloses(at.block) {
			outer = outer.parent
		}
		if isOwner(outer.owner, at.block) {
			return fmt.Sprintf("step %q is in another branch of %s step %q; branches do not see each other's outputs", r.name, outer.kind, outer.owner.id)
		}
		return fmt.Sprintf("step %q is inside %s step %q and may not have run here; use %s", r.name, outer.kind, outer.owner.id, outer.outputOf(r.name))
	case r.field != "" && r.field != "output":
		return fmt.Sprintf("steps.%s has no field %q; a step's result is steps.%s.output", r.name, r.field, r.name)
	}
	return ""
}

// isOwner reports whether d is the step of b or of a block around it.
func isOwner(d *decl, b *block) bool {
	for ; b != nil; b = b.parent {
		if b.owner == d {
			return true
		}
	}
	return false
}

func (c *checker) checkVarReference(r reference, at scope) string {
	setters, ok := c.setBy[r.name]
	if !ok {
		if c.vars == nil {
			c.vars = slices.Sorted(maps.Keys(c.setBy))
		}
		return "variable " + quoteName(r.name) + " is not set by any step" + c.suggest(r.name, c.vars)
	}
	for _, d := range setters {
		if d != at.self && d.index < at.index && d.block.encloses(at.block) {
			return ""
		}
	}
	first := setters[0]
	switch {
	case first == at.self && len(setters) == 1:
		return fmt.Sprintf("variable %q is set by this same step; a step sees only the variables of the steps before it", r.name)
	case first.index < at.index:
		return fmt.Sprintf("variable %q is set by step %q inside a block that does not enclose this step; variables set in a block are visible only within it", r.name, first.id)
	}
	return fmt.Sprintf("variable %q is first set by step %q, which does not run before this step", r.name, first.id)
}

// template compiles a JSON value into a Template.
func (c *checker) template(v *value, at scope) *Template {
	t := &Template{Pointer: v.pointer(), root: c.node(v, at), limits: c.lim}
	c.templates = append(c.templates, pendingTemplate{t, v})
	return t
}

func (c *checker) node(v *value, at scope) node {
	switch v.kind {
	case kindString:
		return c.stringNode(v, at)
	case kindArray:
		n := &array{items: make([]node, len(v.items))}
		for i, item := range v.items {
			n.items[i] = c.node(item, at)
		}
		return fold(n)
	case kindObject:
		n := &object{keys: make([]string, 0, len(v.members)), values: make([]node, 0, len(v.members))}
		for _, m := range v.members {
			n.keys = append(n.keys, m.key)
			n.values = append(n.values, c.node(m.value, at))
		}
		return fold(n)
	case kindNumber:
		// Like json.Unmarshal into any: an activity decodes its input
		// from the JSON encoding anyway, where 3 and 3.0 are the same.
		f, _ := strconv.ParseFloat(v.text, 64)
		return newConstant(f)
	case kindBool:
		return newConstant(v.boolean)
	}
	return newConstant(nil)
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
	value, size, _ := n.eval(nil) // constants cannot fail
	return &constant{value: value, size: size}
}

func (c *checker) stringNode(v *value, at scope) node {
	if !strings.Contains(v.text, "${") {
		return newConstant(v.text)
	}
	segs, offset, err := splitTemplate(v.text)
	if err != nil {
		c.errs = append(c.errs, c.doc.errorAt(v.pointer(), c.doc.stringOffset(v.offset, offset), err.Error()))
		return newConstant(nil)
	}
	if len(segs) == 1 && !segs[0].isExpr {
		return newConstant(segs[0].text)
	}
	if len(segs) == 1 {
		return &typed{c.templateExpr(v, segs[0], at)}
	}
	n := &interpolation{}
	text := ""
	for _, seg := range segs {
		if !seg.isExpr {
			text = seg.text
			continue
		}
		n.text = append(n.text, text)
		n.exprs = append(n.exprs, c.templateExpr(v, seg, at))
		text = ""
	}
	n.text = append(n.text, text)
	return n
}

func (c *checker) templateExpr(v *value, seg segment, at scope) *Expr {
	src := strings.TrimSpace(seg.text)
	if src == "" {
		c.errs = append(c.errs, c.doc.errorAt(v.pointer(), c.doc.stringOffset(v.offset, seg.start), "empty ${ }"))
		return nil
	}
	base := seg.start + strings.Index(seg.text, src)
	return c.compileExpr(v, src, base, seg.written, resultAny, at)
}

// maxHintWork bounds the work of the "did you mean" hints of one
// definition, in pairs of characters compared: a hint compares the name
// with every candidate, and a definition of a megabyte can hold thousands
// of steps and thousands of references to no step. Past the bound, the
// errors come without hints.
const maxHintWork = 10_000_000

// suggest is suggest within the definition's bound on hint work; names
// longer than any id are not typos worth a hint.
func (c *checker) suggest(name string, candidates []string) string {
	n := utf8.RuneCountInString(name)
	if n > 128 {
		return ""
	}
	// Step ids and variable names are at most 128 characters, mostly far
	// fewer: count 16 a candidate.
	work := n * 16 * len(candidates)
	if c.hints+work > maxHintWork {
		return ""
	}
	c.hints += work
	return suggest(name, candidates)
}

// suggest returns `; did you mean "x"?` for the candidate closest to name,
// or "" when none is close enough to be a likely typo.
func suggest(name string, candidates []string) string {
	if best, ok := suggestpkg.Closest(name, candidates); ok {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}
