package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/interpreter"
)

// File is a loaded scenario file: the definition under test, compiled, and
// its scenarios with their mocks compiled.
type File struct {
	// Path is the scenario file as named on the command line.
	Path string
	// DefinitionPath is the definition's file, relative to the working
	// directory.
	DefinitionPath string
	// Definition is the text runs are started with: the file as written,
	// or its canonical form when child definitions were inlined from files.
	Definition string
	Program    *dsl.Program
	Scenarios  []*Scenario

	def *definition
}

// Scenario is one run of the definition with its mocks, the signals and
// callbacks sent to it, and what is expected of it.
type Scenario struct {
	File      *File
	Name      string
	RunID     string
	Input     json.RawMessage
	Timeout   time.Duration
	Signals   []Signal
	Callbacks []Callback
	Expect    Expect
	// Redrive, when set, follows the run's failure: the run is redriven
	// and the redrive checked.
	Redrive *Redrive

	mocks mockSet
}

// Redrive is the redrive of a scenario's failed run, as `reaflow redrive`
// makes it: a new run that reuses the outputs of the steps the failed run
// completed. Its mocks replace the scenario's by name (the outage is
// over), and its expectations see only the calls the redrive makes.
type Redrive struct {
	// From names a step to run again, with what follows it (--from).
	From   string
	Expect Expect

	mocks mockSet
}

// DefaultTimeout is how long a scenario's run may take unless the scenario
// says otherwise: mocks answer at once, so a run that takes longer waits
// for something that will not come.
const DefaultTimeout = 60 * time.Second

// Mock stands in for an activity.
type Mock struct {
	// Output renders the activity's output from its input; nil is null.
	Output *dsl.Template
	// FailAttempts is how many attempts of each call fail, retryably,
	// before one succeeds (or fails with Error).
	FailAttempts int
	// Error, when set, fails every attempt after FailAttempts terminally.
	Error *MockError
	// Latency is how long every attempt takes.
	Latency time.Duration
}

// MockError is a terminal activity error with a code.
type MockError struct {
	Code    string
	Message *dsl.Template // nil: a message made from the code
}

type mockSet struct {
	activities, steps, compensations map[string]*Mock
}

// Signal is a signal sent to the run.
type Signal struct {
	Name    string
	Payload json.RawMessage
	// After names the activity step whose completion the signal waits
	// for; "" sends it as soon as the run has started.
	After string
}

// Callback resolves or rejects the callback of a callback step once the
// step's activity has returned.
type Callback struct {
	Step    string
	Resolve json.RawMessage // the value; nil when Reject is set
	Reject  *string
}

// Expect is what a scenario checks; nil and empty fields are not checked.
type Expect struct {
	Status         string // "completed" or "failed"; never empty after Load
	Output         json.RawMessage
	OutputIncludes json.RawMessage
	ErrorCode      *string
	ErrorMessage   *string
	Steps          Sequence
	Compensations  Sequence
	Attempts       map[string]int
	Keys           map[string]KeyExpect
}

// Sequence is an expected order of step names; an element with several
// names is a group that may come in any order.
type Sequence [][]string

// KeyExpect is an expected idempotency key: the key itself, or the dedup
// key it derives from.
type KeyExpect struct {
	Exact string
	Dedup string
}

// The file as written, decoded after the schema check.
type rawFile struct {
	Definition string        `json:"definition"`
	Mocks      rawMocks      `json:"mocks"`
	Scenarios  []rawScenario `json:"scenarios"`
}

type rawMocks struct {
	Activities    map[string]rawMock `json:"activities"`
	Steps         map[string]rawMock `json:"steps"`
	Compensations map[string]rawMock `json:"compensations"`
}

type rawMock struct {
	Output       json.RawMessage `json:"output"`
	FailAttempts int             `json:"failAttempts"`
	Error        *struct {
		Code    string          `json:"code"`
		Message json.RawMessage `json:"message"`
	} `json:"error"`
	Latency string `json:"latency"`
}

type rawScenario struct {
	Name      string          `json:"name"`
	ID        string          `json:"id"`
	Input     json.RawMessage `json:"input"`
	InputFile string          `json:"inputFile"`
	Timeout   string          `json:"timeout"`
	Mocks     rawMocks        `json:"mocks"`
	Signals   []struct {
		Name    string          `json:"name"`
		Payload json.RawMessage `json:"payload"`
		After   string          `json:"after"`
	} `json:"signals"`
	Callbacks []struct {
		Step    string          `json:"step"`
		Resolve json.RawMessage `json:"resolve"`
		Reject  *string         `json:"reject"`
	} `json:"callbacks"`
	Expect  rawExpect `json:"expect"`
	Redrive *struct {
		From   string    `json:"from"`
		Mocks  rawMocks  `json:"mocks"`
		Expect rawExpect `json:"expect"`
	} `json:"redrive"`
}

type rawExpect struct {
	Status         string          `json:"status"`
	Output         json.RawMessage `json:"output"`
	OutputIncludes json.RawMessage `json:"outputIncludes"`
	Error          *struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
	} `json:"error"`
	Steps         []json.RawMessage          `json:"steps"`
	Compensations []json.RawMessage          `json:"compensations"`
	Attempts      map[string]int             `json:"attempts"`
	Keys          map[string]json.RawMessage `json:"keys"`
}

// LoadFile reads and loads a scenario file. See Load.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// Load checks a scenario file (named path in messages; the definition and
// input files it names are read relative to it) and compiles it. Problems
// of the scenario file come back together as an ErrorList, each located
// by line:column and JSON pointer; problems of the definition it names
// come back as the dsl.ErrorList that dsl.Load returns.
func Load(path string, data []byte) (*File, error) {
	doc, syntaxErr := dsl.NewLocator(path, data)
	if syntaxErr != nil {
		return nil, ErrorList{syntaxErr}
	}
	var value any
	if err := json.Unmarshal(data, &value); err != nil {
		return nil, ErrorList{doc.ErrorAt("", false, err.Error())}
	}
	if errs := checkSchema(doc, value); len(errs) > 0 {
		return nil, errs
	}
	var raw rawFile
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, ErrorList{doc.ErrorAt("", false, err.Error())}
	}
	l := &loader{doc: doc, dir: filepath.Dir(path)}
	f := &File{Path: path}
	if err := l.definition(f, raw.Definition); err != nil {
		return nil, err
	}
	shared := l.mocks("/mocks", raw.Mocks)
	names := map[string]int{}
	for i, rs := range raw.Scenarios {
		ptr := "/scenarios/" + strconv.Itoa(i)
		if j, dup := names[rs.Name]; dup {
			l.errorf(ptr+"/name", "another scenario has this name (/scenarios/%d); names pick scenarios with --run", j)
		}
		names[rs.Name] = i
		f.Scenarios = append(f.Scenarios, l.scenario(f, ptr, rs, shared))
	}
	l.compileTemplates()
	if len(l.errs) > 0 {
		l.errs.Sort()
		return nil, l.errs
	}
	return f, nil
}

// loader carries what checking one file needs.
type loader struct {
	doc  *dsl.Locator
	dir  string
	def  *definition
	errs ErrorList

	// Mock templates are compiled together once every scenario is read.
	templates []pendingTemplate
}

type pendingTemplate struct {
	ptr    string
	raw    json.RawMessage
	target **dsl.Template
}

func (l *loader) errorf(ptr, format string, args ...any) {
	l.errs = append(l.errs, l.doc.ErrorAt(ptr, false, fmt.Sprintf(format, args...)))
}

func (l *loader) keyErrorf(ptr, format string, args ...any) {
	l.errs = append(l.errs, l.doc.ErrorAt(ptr, true, fmt.Sprintf(format, args...)))
}

// definition loads the definition under test, with child definitions read
// relative to it as `reaflow validate` and `submit` read them.
func (l *loader) definition(f *File, name string) error {
	f.DefinitionPath = name
	if !filepath.IsAbs(name) {
		f.DefinitionPath = filepath.Join(l.dir, name)
	}
	text, err := os.ReadFile(f.DefinitionPath)
	if err != nil {
		return ErrorList{l.doc.ErrorAt("/definition", false, fmt.Sprintf("cannot read the definition: %v", err))}
	}
	defDir := filepath.Dir(f.DefinitionPath)
	prog, err := dsl.Load(f.DefinitionPath, text, dsl.WithFiles(func(child string) ([]byte, error) {
		if !filepath.IsAbs(child) {
			child = filepath.Join(defDir, child)
		}
		return os.ReadFile(child)
	}))
	if err != nil {
		return err
	}
	f.Program, f.Definition = prog, string(text)
	if prog.Inlined {
		f.Definition = string(prog.Canonical)
	}
	if f.def, err = indexDefinition(prog, filepath.Base(f.DefinitionPath)); err != nil {
		return err
	}
	l.def = f.def
	return nil
}

func (l *loader) scenario(f *File, ptr string, rs rawScenario, shared mockSet) *Scenario {
	s := &Scenario{File: f, Name: rs.Name, RunID: rs.ID, Timeout: DefaultTimeout}
	if s.RunID == "" {
		s.RunID = defaultRunID(f.Program.Name, rs.Name)
	}
	s.Input = l.input(f, ptr, rs)
	if rs.Timeout != "" {
		s.Timeout = l.duration(ptr+"/timeout", rs.Timeout)
	}
	own := l.mocks(ptr+"/mocks", rs.Mocks)
	s.mocks = mockSet{
		activities:    merged(shared.activities, own.activities),
		steps:         merged(shared.steps, own.steps),
		compensations: merged(shared.compensations, own.compensations),
	}
	for i, rsig := range rs.Signals {
		sp := ptr + "/signals/" + strconv.Itoa(i)
		if !slices.Contains(f.Program.Signals, rsig.Name) {
			l.errorf(sp+"/name", "%s awaits no signal %q%s", l.def.label, rsig.Name, listing("it awaits", f.Program.Signals))
		}
		if rsig.After != "" {
			l.activityStep(sp+"/after", rsig.After)
		}
		payload := rsig.Payload
		if payload == nil {
			payload = json.RawMessage("null")
		}
		if a := f.Program.Await(rsig.Name); a != nil {
			if err := a.ValidatePayload(payload); err != nil {
				l.nested(sp+"/payload", err)
			}
		}
		s.Signals = append(s.Signals, Signal{Name: rsig.Name, Payload: payload, After: rsig.After})
	}
	for i, rc := range rs.Callbacks {
		cp := ptr + "/callbacks/" + strconv.Itoa(i)
		if step := l.activityStep(cp+"/step", rc.Step); step != nil && !step.Callback {
			l.errorf(cp+"/step", "step %q is not a callback step (\"callback\": true)", step.ID)
		}
		if (rc.Resolve == nil) == (rc.Reject == nil) {
			l.errorf(cp, "a callback needs exactly one of resolve (a value) or reject (a message)")
		}
		s.Callbacks = append(s.Callbacks, Callback{Step: rc.Step, Resolve: rc.Resolve, Reject: rc.Reject})
	}
	s.Expect = l.expect(ptr+"/expect", rs.Expect)
	if rd := rs.Redrive; rd != nil {
		rp := ptr + "/redrive"
		if s.Expect.Status != "failed" {
			l.keyErrorf(rp, "a redrive follows a failed run: expect the run's failure (status \"failed\" or an error) first")
		}
		if id, _, _ := strings.Cut(interpreter.PathStepID(rd.From), "["); rd.From != "" && f.Program.Step(id) == nil {
			l.errorf(rp+"/from", "%s has no step %q to redrive from", l.def.label, rd.From)
		}
		own := l.mocks(rp+"/mocks", rd.Mocks)
		s.Redrive = &Redrive{From: rd.From, Expect: l.expect(rp+"/expect", rd.Expect), mocks: mockSet{
			activities:    merged(s.mocks.activities, own.activities),
			steps:         merged(s.mocks.steps, own.steps),
			compensations: merged(s.mocks.compensations, own.compensations),
		}}
	}
	return s
}

// input returns the scenario's input, checked against the definition's
// input schema now, so that a wrong input is shown in the scenario file
// rather than as a refused run.
func (l *loader) input(f *File, ptr string, rs rawScenario) json.RawMessage {
	if rs.InputFile == "" {
		if rs.Input == nil {
			if f.Program.ValidateInput(json.RawMessage("null")) != nil {
				l.errorf(ptr, "the scenario has no input, and %s needs one: give input or inputFile", l.def.label)
			}
			return json.RawMessage("null")
		}
		if err := f.Program.ValidateInput(rs.Input); err != nil {
			l.nested(ptr+"/input", err)
		}
		return rs.Input
	}
	if rs.Input != nil {
		l.keyErrorf(ptr+"/inputFile", "give input or inputFile, not both")
		return rs.Input
	}
	name := rs.InputFile
	if !filepath.IsAbs(name) {
		name = filepath.Join(l.dir, name)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		l.errorf(ptr+"/inputFile", "cannot read the input: %v", err)
		return nil
	}
	if err := f.Program.ValidateInput(data); err != nil {
		// The problems are in the input file: dsl locates them there.
		var list dsl.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				l.errorf(ptr+"/inputFile", "%s:%d:%d: %s: %s", name, e.Line, e.Column, e.Pointer, e.Message)
			}
		} else {
			l.errorf(ptr+"/inputFile", "%v", err)
		}
	}
	return data
}

// nested reports the problems dsl found in a value embedded in the
// scenario file (an input, a signal's payload) at their place in the file.
func (l *loader) nested(ptr string, err error) {
	var list dsl.ErrorList
	if !errors.As(err, &list) {
		l.errorf(ptr, "%v", err)
		return
	}
	for _, e := range list {
		l.errorf(ptr+e.Pointer, "%s", e.Message)
	}
}

func (l *loader) duration(ptr, text string) time.Duration {
	d, err := time.ParseDuration(text)
	if err != nil || d <= 0 {
		l.errorf(ptr, "%q is not a positive duration", text)
	}
	return d
}

// mocks checks one mocks block against the definition and queues its
// templates for compilation.
func (l *loader) mocks(ptr string, rm rawMocks) mockSet {
	set := mockSet{activities: map[string]*Mock{}, steps: map[string]*Mock{}, compensations: map[string]*Mock{}}
	used := l.def.activityNames()
	for _, name := range sortedKeys(rm.Activities) {
		mp := ptr + "/activities/" + escapePointer(name)
		if !slices.Contains(used, name) {
			l.keyErrorf(mp, "%s calls no activity %q%s", l.def.label, name, listing("it calls", used))
		}
		set.activities[name] = l.mock(mp, rm.Activities[name])
	}
	for _, id := range sortedKeys(rm.Steps) {
		mp := ptr + "/steps/" + escapePointer(id)
		l.mockedStep(mp, id)
		set.steps[id] = l.mock(mp, rm.Steps[id])
	}
	for _, id := range sortedKeys(rm.Compensations) {
		mp := ptr + "/compensations/" + escapePointer(id)
		if step := l.mockedStep(mp, id); step != nil && step.Compensate == nil {
			l.keyErrorf(mp, "step %q has no compensate block", id)
		}
		set.compensations[id] = l.mock(mp, rm.Compensations[id])
	}
	return set
}

func (l *loader) mock(ptr string, rm rawMock) *Mock {
	m := &Mock{FailAttempts: rm.FailAttempts}
	if rm.Latency != "" {
		m.Latency = l.duration(ptr+"/latency", rm.Latency)
	}
	if rm.Output != nil {
		l.templates = append(l.templates, pendingTemplate{ptr: ptr + "/output", raw: rm.Output, target: &m.Output})
	}
	if rm.Error != nil {
		m.Error = &MockError{Code: rm.Error.Code}
		if rm.Error.Message != nil {
			l.templates = append(l.templates, pendingTemplate{ptr: ptr + "/error/message", raw: rm.Error.Message, target: &m.Error.Message})
		}
		if rm.Output != nil {
			l.keyErrorf(ptr+"/output", "output is never used: error fails every call that gets past failAttempts")
		}
	}
	return m
}

// mockedStep checks the step id a mock is keyed by. Mocks match calls by
// step id alone, so a step of a child definition is named by its id too.
func (l *loader) mockedStep(ptr, id string) *dsl.ActivityStep {
	if step := l.def.findActivity(id); step != nil {
		return step
	}
	return l.activityStepKey(ptr, id)
}

// activityStepKey is activityStep for a name that is an object key.
func (l *loader) activityStepKey(ptr, id string) *dsl.ActivityStep {
	return l.stepRef(ptr, true, id)
}

// activityStep checks that name (id, id[index], child/id) is an activity
// step of the definition and returns it.
func (l *loader) activityStep(ptr, name string) *dsl.ActivityStep {
	return l.stepRef(ptr, false, name)
}

func (l *loader) stepRef(ptr string, atKey bool, name string) *dsl.ActivityStep {
	report := l.errorf
	if atKey {
		report = l.keyErrorf
	}
	d, id, ok := l.def.lookup(name)
	switch {
	case !ok && strings.HasSuffix(id, "/"):
		children := sortedKeys(d.children)
		report(ptr, "%s has no workflow step %q: a name with / is a step of a child run, childStep/step (foreach items are step[index])%s",
			d.label, strings.TrimSuffix(id, "/"), listing("its workflow steps", children))
		return nil
	case !ok:
		report(ptr, "%s has no step %q%s", d.label, id, listing("its activity steps", sortedKeys(d.activities)))
		return nil
	}
	step, isActivity := d.activities[id]
	if !isActivity {
		report(ptr, "step %q is not an activity step: only activity calls are mocked and observed", id)
		return nil
	}
	return step
}

func (l *loader) expect(ptr string, re rawExpect) Expect {
	e := Expect{Status: re.Status, Output: re.Output, OutputIncludes: re.OutputIncludes, Attempts: re.Attempts}
	if re.Error != nil {
		e.ErrorCode, e.ErrorMessage = re.Error.Code, re.Error.Message
	}
	switch {
	case e.Status == "" && re.Error != nil:
		e.Status = "failed"
	case e.Status == "":
		e.Status = "completed"
	case e.Status == "completed" && re.Error != nil:
		l.errorf(ptr+"/error", "a completed run has no error: expect status \"failed\", or drop error")
	}
	if e.Status == "failed" && (e.Output != nil || e.OutputIncludes != nil) {
		l.errorf(ptr+"/status", "a failed run has no output: drop output and outputIncludes, or expect \"completed\"")
	}
	e.Steps = l.sequence(ptr+"/steps", re.Steps, false)
	e.Compensations = l.sequence(ptr+"/compensations", re.Compensations, true)
	for _, name := range sortedKeys(re.Attempts) {
		l.activityStepKey(ptr+"/attempts/"+escapePointer(name), name)
	}
	if len(re.Keys) > 0 {
		e.Keys = map[string]KeyExpect{}
	}
	for _, name := range sortedKeys(re.Keys) {
		kp := ptr + "/keys/" + escapePointer(name)
		step := l.activityStepKey(kp, name)
		var k KeyExpect
		if err := json.Unmarshal(re.Keys[name], &k.Exact); err != nil {
			var dedup struct {
				Dedup string `json:"dedup"`
			}
			_ = json.Unmarshal(re.Keys[name], &dedup)
			k.Dedup = dedup.Dedup
			if step != nil && step.Dedup == nil {
				l.errorf(kp+"/dedup", "step %q has no dedup key: its key derives from the run id and the step", step.ID)
			}
		}
		e.Keys[name] = k
	}
	return e
}

// sequence decodes an expected order; compensated names must be steps
// that have a compensate block.
func (l *loader) sequence(ptr string, raw []json.RawMessage, compensated bool) Sequence {
	if raw == nil {
		return nil
	}
	seq := Sequence{}
	for i, item := range raw {
		ip := ptr + "/" + strconv.Itoa(i)
		var group []string
		var one string
		if json.Unmarshal(item, &one) == nil {
			group = []string{one}
		} else {
			_ = json.Unmarshal(item, &group)
			for j := range group {
				l.checkSequenceName(ip+"/"+strconv.Itoa(j), group[j], compensated)
			}
			seq = append(seq, group)
			continue
		}
		l.checkSequenceName(ip, one, compensated)
		seq = append(seq, group)
	}
	return seq
}

func (l *loader) checkSequenceName(ptr, name string, compensated bool) {
	if step := l.activityStep(ptr, name); step != nil && compensated && step.Compensate == nil {
		l.errorf(ptr, "step %q has no compensate block, so it is never compensated", step.ID)
	}
}

// compileTemplates compiles every mock's output and error message with
// the definition language's own compiler, as the variables of one
// synthetic set step: mocks then write templates exactly as definitions
// do, and a mistake in one is reported with dsl's message, at its place
// in the scenario file.
func (l *loader) compileTemplates() {
	if len(l.templates) == 0 {
		return
	}
	var vars bytes.Buffer
	for i, t := range l.templates {
		if i > 0 {
			vars.WriteByte(',')
		}
		fmt.Fprintf(&vars, `"t%d":%s`, i, t.raw)
	}
	synthetic := fmt.Sprintf(`{"name":"mocks","version":"0","steps":[{"id":"mocks","set":{%s}}]}`, vars.String())
	prog, err := dsl.Load("mocks", []byte(synthetic))
	if err != nil {
		var list dsl.ErrorList
		if !errors.As(err, &list) {
			l.errorf("", "mock templates: %v", err)
			return
		}
		for _, e := range list {
			ptr, ok := strings.CutPrefix(e.Pointer, "/steps/0/set/t")
			if !ok {
				l.errorf("", "mock templates: %s", e.Message)
				continue
			}
			num, rest, _ := strings.Cut(ptr, "/")
			n, _ := strconv.Atoi(num)
			if rest != "" {
				rest = "/" + rest
			}
			l.errorf(l.templates[n].ptr+rest, "%s", e.Message)
		}
		return
	}
	set := prog.Steps[0].(*dsl.SetStep)
	for _, v := range set.Vars {
		n, _ := strconv.Atoi(strings.TrimPrefix(v.Name, "t"))
		*l.templates[n].target = v.Value
	}
}

var notRunID = regexp.MustCompile(`[^a-z0-9]+`)

// defaultRunID names a scenario's run after the definition and the
// scenario, so that its idempotency keys are the same on every test run
// and can be written in the file.
func defaultRunID(definition, scenario string) string {
	slug := strings.Trim(notRunID.ReplaceAllString(strings.ToLower(scenario), "-"), "-")
	id := definition + "-" + slug
	if len(id) > 200 {
		id = id[:200]
	}
	return id
}

func merged(base, over map[string]*Mock) map[string]*Mock {
	out := make(map[string]*Mock, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// listing appends "; <what>: a, b" to a message, or nothing for no names.
func listing(what string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "; " + what + ": " + strings.Join(names, ", ")
}
