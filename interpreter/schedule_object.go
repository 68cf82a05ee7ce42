package interpreter

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	restate "github.com/restatedev/sdk-go"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/rea"
)

// State keys of a schedule object.
const (
	// scheduleState holds the scheduleRecord; delete clears it.
	scheduleState = "schedule"
	// generationState counts the changes of the schedule, and outlives
	// delete: every Tick message carries the generation that armed it, and
	// a Tick of another generation (armed before a pause, update or
	// delete) does nothing.
	generationState = "generation"
)

// Fire reasons.
const (
	FireScheduled = "schedule"
	FireCatchup   = "catch-up"
	FireTrigger   = "trigger"
	FireBackfill  = "backfill"
)

// Fire states.
const (
	FireRunning    = "running"
	FireSucceeded  = "succeeded"
	FireFailed     = "failed"
	FireCancelled  = "cancelled"
	FireSkipped    = "skipped"
	FireBuffered   = "buffered"
	FireMissed     = "missed"
	FireNotStarted = "not-started"
)

// maxRunning bounds the runs in flight a schedule keeps track of (with
// allow-all or backfills); a fire past it is not started.
const maxRunning = 1000

// Fire is one fire of a schedule.
type Fire struct {
	// Nominal is the time the fire was due, without jitter; the run id
	// derives from it.
	Nominal time.Time `json:"nominal"`
	RunID   string    `json:"runId,omitempty"`
	// Reason is FireScheduled, FireCatchup, FireTrigger or FireBackfill.
	Reason string `json:"reason"`
	// State is the run's (FireRunning, FireSucceeded, FireFailed,
	// FireCancelled) or why there is none (FireSkipped by the overlap
	// policy, FireBuffered until the runs in flight end, FireMissed past
	// the catch-up window, FireNotStarted with Error).
	State string `json:"state"`
	// FiredAt is when the schedule handled the fire.
	FiredAt time.Time `json:"firedAt"`
	Error   string    `json:"error,omitempty"`
	// Count is the number of missed fires a FireMissed entry stands for.
	Count int64 `json:"count,omitempty"`
}

// ScheduledRun is a run of a schedule that has not ended yet.
type ScheduledRun struct {
	RunID        string    `json:"runId"`
	Nominal      time.Time `json:"nominal"`
	InvocationID string    `json:"invocationId"`
	// Cancelled is set once cancel-previous has cancelled the run.
	Cancelled bool `json:"cancelled,omitempty"`
	// Watched is set once the watch service waits for the run's end too,
	// for a run that may end without reporting it (see watchOverdue).
	Watched bool `json:"watched,omitempty"`
}

// ScheduleCounts add up a schedule's fires.
type ScheduleCounts struct {
	// Started counts the runs started (a backfill over fires that already
	// ran counts them again; Restate starts each run id once).
	Started int64 `json:"started"`
	// Skipped counts fires skipped by the overlap policy.
	Skipped int64 `json:"skipped"`
	// Missed counts fires older than the catch-up window when the
	// schedule got to them.
	Missed int64 `json:"missed"`
	// NotStarted counts fires whose run could not start (the definition
	// is no longer deployed, too many runs in flight).
	NotStarted int64 `json:"notStarted"`
}

// scheduleRecord is a schedule's state.
type scheduleRecord struct {
	Spec ScheduleSpec `json:"spec"`
	// Next is the nominal time of the next fire not handled yet; zero
	// once the schedule has ended.
	Next      time.Time      `json:"next,omitzero"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	Running   []ScheduledRun `json:"running,omitempty"`
	Buffered  *Fire          `json:"buffered,omitempty"`
	// Recent are the last fires, oldest first.
	Recent []Fire         `json:"recent,omitempty"`
	Counts ScheduleCounts `json:"counts"`
}

// ScheduleInfo is what Describe (and every change) returns.
type ScheduleInfo struct {
	Name string       `json:"name"`
	Spec ScheduleSpec `json:"spec"`
	// NextFires are the next nominal fire times, none while paused or
	// once ended.
	NextFires []time.Time    `json:"nextFires"`
	Running   []ScheduledRun `json:"running"`
	Buffered  *Fire          `json:"buffered,omitempty"`
	// Recent are the last fires, newest first.
	Recent     []Fire         `json:"recent"`
	Counts     ScheduleCounts `json:"counts"`
	CreatedAt  time.Time      `json:"createdAt"`
	UpdatedAt  time.Time      `json:"updatedAt"`
	Generation uint64         `json:"generation"`
}

// LastRun is the newest fire that started a run, nil if none did: fires
// skipped or still buffered by the overlap policy started none.
func (info ScheduleInfo) LastRun() *Fire {
	for i, f := range info.Recent {
		if f.RunID != "" && f.State != FireSkipped && f.State != FireBuffered {
			return &info.Recent[i]
		}
	}
	return nil
}

// BackfillRequest is the input of Backfill: the fires of [From, To].
type BackfillRequest struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// scheduleTick is the delayed message that fires a schedule.
type scheduleTick struct {
	Generation uint64    `json:"generation"`
	Nominal    time.Time `json:"nominal"`
}

// runFinished tells a schedule that one of its runs ended.
type runFinished struct {
	RunID string `json:"runId"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// watchRequest asks the watch service to wait for a run.
type watchRequest struct {
	Schedule     string `json:"schedule"`
	RunID        string `json:"runId"`
	InvocationID string `json:"invocationId"`
}

// scheduleServices are the schedule object and its watch service. Create,
// Update, Delete, Pause, Resume, Trigger and Backfill change a schedule
// and pass authorizeScheduleChange; Describe reads one. Tick (the armed
// timer's message), RunFinished (from the fired run, or from the watch
// service, itself private) and DefinitionDeployed (from the definitions
// object) are called by reaflow only.
func (in *interpreter) scheduleServices() []restate.ServiceDefinition {
	private := restate.WithIngressPrivate(true)
	object := restate.NewObject(ScheduleService).
		Handler("Create", restate.NewObjectHandler(in.createSchedule)).
		Handler("Update", restate.NewObjectHandler(in.updateSchedule)).
		Handler("Delete", restate.NewObjectHandler(in.deleteSchedule)).
		Handler("Pause", restate.NewObjectHandler(in.pauseSchedule)).
		Handler("Resume", restate.NewObjectHandler(in.resumeSchedule)).
		Handler("Trigger", restate.NewObjectHandler(in.triggerSchedule)).
		Handler("Backfill", restate.NewObjectHandler(in.backfillSchedule)).
		Handler("Describe", restate.NewObjectSharedHandler(describeSchedule)).
		Handler("Tick", restate.NewObjectHandler(void(in.tickSchedule), private)).
		Handler("RunFinished", restate.NewObjectHandler(void(in.scheduleRunFinished), private)).
		Handler("DefinitionDeployed", restate.NewObjectHandler(void(in.scheduleDefinitionDeployed), private))
	watch := restate.NewService(scheduleWatchService, private).
		Handler("Watch", restate.NewServiceHandler(void(watchScheduledRun)))
	return []restate.ServiceDefinition{object, watch}
}

// void makes a handler of fn, which has no output.
func void[C, I any](fn func(C, I) error) func(C, I) (restate.Void, error) {
	return func(ctx C, in I) (restate.Void, error) { return restate.Void{}, fn(ctx, in) }
}

// authorizeScheduleChange is the one check of every handler that changes
// a schedule: the same protection as deploying a definition.
func (in *interpreter) authorizeScheduleChange(ctx restate.ObjectContext) error {
	return in.authorizeDeploy(ctx)
}

// scheduler is one handler invocation's view of a schedule.
type scheduler struct {
	in   *interpreter
	ctx  restate.ObjectContext
	name string
	rec  *scheduleRecord
	spec compiledSpec
	gen  uint64
	now  time.Time
	// fired is the definition the schedule's fires run, once read.
	fired *DeployRequest
}

func scheduleNotFound(name string) error {
	return restate.ToTerminalError(fmt.Errorf("no schedule named %q (reaflow schedule create makes one)", name), restate.WithErrorCode(codeNotFound))
}

// load reads the schedule and the time; with must, a missing schedule is
// an error.
func (in *interpreter) loadSchedule(ctx restate.ObjectContext) (*scheduler, error) {
	s := &scheduler{in: in, ctx: ctx, name: restate.Key(ctx)}
	var err error
	if s.rec, err = restate.Get[*scheduleRecord](ctx, scheduleState); err != nil {
		return nil, err
	}
	if s.gen, err = restate.Get[uint64](ctx, generationState); err != nil {
		return nil, err
	}
	if s.rec != nil {
		// The spec was checked when stored, and compiles the same way
		// again (the time zone database is part of the binary).
		if s.spec, err = compileSpec(s.rec.Spec); err != nil {
			return nil, restate.ToTerminalError(fmt.Errorf("stored schedule %q no longer compiles: %w", s.name, err))
		}
	}
	return s, nil
}

// changeSchedule is where every change to an existing schedule starts:
// the caller may change schedules, and the schedule exists.
func (in *interpreter) changeSchedule(ctx restate.ObjectContext) (*scheduler, error) {
	if err := in.authorizeScheduleChange(ctx); err != nil {
		return nil, err
	}
	s, err := in.loadSchedule(ctx)
	if err != nil {
		return nil, err
	}
	if s.rec == nil {
		return nil, scheduleNotFound(s.name)
	}
	return s, nil
}

func (s *scheduler) readNow() error {
	var err error
	s.now, err = rea.NewDeterministicHelpers(s.ctx).Now()
	return err
}

// bump starts a new generation: Tick messages armed before are stale.
func (s *scheduler) bump() {
	s.gen++
	restate.Set(s.ctx, generationState, s.gen)
}

func (s *scheduler) save() { restate.Set(s.ctx, scheduleState, s.rec) }

// arm sends the Tick of the next fire, delayed until it is due.
func (s *scheduler) arm() {
	if s.rec.Next.IsZero() || s.rec.Spec.Paused {
		return
	}
	delay := max(s.rec.Next.Sub(s.now)+s.spec.delayOf(s.name, s.rec.Next), 0)
	restate.ObjectSend(s.ctx, ScheduleService, s.name, "Tick").
		Send(scheduleTick{Generation: s.gen, Nominal: s.rec.Next}, restate.WithDelay(delay))
}

func (in *interpreter) createSchedule(ctx restate.ObjectContext, spec ScheduleSpec) (ScheduleInfo, error) {
	if err := in.authorizeScheduleChange(ctx); err != nil {
		return ScheduleInfo{}, err
	}
	s, err := in.loadSchedule(ctx)
	if err != nil {
		return ScheduleInfo{}, err
	}
	if s.rec != nil {
		return ScheduleInfo{}, restate.ToTerminalError(fmt.Errorf("schedule %q exists already; reaflow schedule update changes it", s.name), restate.WithErrorCode(codeConflict))
	}
	return s.put(spec)
}

func (in *interpreter) updateSchedule(ctx restate.ObjectContext, spec ScheduleSpec) (ScheduleInfo, error) {
	s, err := in.changeSchedule(ctx)
	if err != nil {
		return ScheduleInfo{}, err
	}
	return s.put(spec)
}

// put checks spec and stores it, keeping the fires and runs of the
// schedule it replaces. Nothing is stored when a check fails.
func (s *scheduler) put(spec ScheduleSpec) (ScheduleInfo, error) {
	if err := CheckScheduleName(s.name); err != nil {
		return ScheduleInfo{}, badRequest("invalid schedule", err)
	}
	c, err := compileSpec(spec)
	if err != nil {
		return ScheduleInfo{}, badRequest("invalid schedule "+s.name, err)
	}
	deployed, prog, err := s.in.checkScheduledWorkflow(s.ctx, c, spec.Input)
	if err != nil {
		return ScheduleInfo{}, err
	}
	if err := s.readNow(); err != nil {
		return ScheduleInfo{}, err
	}
	next, ok := c.next(s.now)
	if !ok {
		return ScheduleInfo{}, badRequest("invalid schedule "+s.name, fmt.Errorf("it has no fire time after now (%s): its end has passed or its cron expression matches no date", s.now.UTC().Format(time.RFC3339)))
	}
	if s.rec == nil {
		s.rec = &scheduleRecord{CreatedAt: s.now}
	}
	if !spec.Paused {
		spec.Note = ""
	}
	s.spec, s.rec.Spec, s.rec.Next, s.rec.UpdatedAt = c, spec, next, s.now
	s.bump()
	s.save()
	restate.Set(s.ctx, firedDefinitionState, deployed)
	s.fired = &deployed
	s.follow(prog.Hash)
	s.arm()
	return s.info(), nil
}

// checkScheduledWorkflow checks that the schedule's workflow is deployed
// and that input suits it, and returns the deployed definition and its
// program.
func (in *interpreter) checkScheduledWorkflow(ctx restate.Context, c compiledSpec, input json.RawMessage) (DeployRequest, *dsl.Program, error) {
	if limit := in.cfg.limits.maxInput; len(input) > limit {
		return DeployRequest{}, nil, restate.ToTerminalError(fmt.Errorf("invalid schedule input: %s", sizeError("the input", len(input), limit, "WithMaxInputSize")), restate.WithErrorCode(codeTooLarge))
	}
	deployed, err := fetchDefinition(ctx, c)
	if err != nil {
		if restate.IsTerminalError(err) && restate.AsTerminalError(err).Code() == codeNotFound {
			return DeployRequest{}, nil, badRequest("invalid schedule: workflow is not deployed", err)
		}
		return DeployRequest{}, nil, err
	}
	prog, loadErr := in.load(deployed.Definition, deployed.File)
	if loadErr != nil {
		return DeployRequest{}, nil, badRequest("invalid schedule: deployed definition "+c.definition+" does not load", loadErr)
	}
	if err := in.admitScheduled(prog); err != nil {
		return DeployRequest{}, nil, err
	}
	if err := prog.ValidateInput(input); err != nil {
		return DeployRequest{}, nil, badRequest("invalid schedule: the input does not match the input schema of "+prog.Name, err)
	}
	return deployed, prog, nil
}

func (in *interpreter) deleteSchedule(ctx restate.ObjectContext, _ restate.Void) (restate.Void, error) {
	s, err := in.changeSchedule(ctx)
	if err != nil {
		return restate.Void{}, err
	}
	// Runs in flight go on; their RunFinished finds no schedule. A
	// follower entry goes at the definition's next deploy.
	s.bump()
	restate.Clear(ctx, scheduleState)
	restate.Clear(ctx, firedDefinitionState)
	return restate.Void{}, nil
}

func (in *interpreter) pauseSchedule(ctx restate.ObjectContext, note string) (ScheduleInfo, error) {
	s, err := in.changeSchedule(ctx)
	if err != nil {
		return ScheduleInfo{}, err
	}
	if err := s.readNow(); err != nil {
		return ScheduleInfo{}, err
	}
	s.bump()
	s.rec.Spec.Paused, s.rec.Spec.Note, s.rec.Buffered, s.rec.UpdatedAt = true, note, nil, s.now
	s.save()
	return s.info(), nil
}

// resumeSchedule fires again from the next fire time after now: fires
// due while paused are not caught up (backfill runs them).
func (in *interpreter) resumeSchedule(ctx restate.ObjectContext, _ restate.Void) (ScheduleInfo, error) {
	s, err := in.changeSchedule(ctx)
	if err != nil {
		return ScheduleInfo{}, err
	}
	if !s.rec.Spec.Paused {
		return s.info(), nil
	}
	if err := s.readNow(); err != nil {
		return ScheduleInfo{}, err
	}
	s.bump()
	s.rec.Spec.Paused, s.rec.Spec.Note, s.rec.UpdatedAt = false, "", s.now
	s.rec.Next, _ = s.spec.next(s.now)
	s.save()
	s.arm()
	return s.info(), nil
}

// triggerSchedule fires now, under the overlap policy, paused or not.
func (in *interpreter) triggerSchedule(ctx restate.ObjectContext, _ restate.Void) (Fire, error) {
	s, err := in.changeSchedule(ctx)
	if err != nil {
		return Fire{}, err
	}
	if err := s.readNow(); err != nil {
		return Fire{}, err
	}
	nominal := s.now.UTC().Truncate(time.Millisecond)
	f, err := s.fire(nominal, FireTrigger, triggerRunID(s.name, nominal))
	if err != nil {
		return Fire{}, err
	}
	s.save()
	return f, nil
}

// backfillSchedule starts the run of every fire time in [From, To] that
// the schedule's spec has, whatever the overlap policy, each under the
// run id its fire has: a fire that ran already, or a second backfill of
// the range, starts nothing new.
func (in *interpreter) backfillSchedule(ctx restate.ObjectContext, req BackfillRequest) ([]Fire, error) {
	s, err := in.changeSchedule(ctx)
	if err != nil {
		return nil, err
	}
	if req.From.IsZero() || req.To.IsZero() || req.To.Before(req.From) {
		return nil, badRequest("invalid backfill", fmt.Errorf("give a range with from at or before to"))
	}
	times := backfillTimes(s.spec, req.From, req.To)
	if len(times) > MaxBackfillFires {
		return nil, badRequest("invalid backfill", fmt.Errorf("the range has more than %d fires; backfill it in parts", MaxBackfillFires))
	}
	if err := s.readNow(); err != nil {
		return nil, err
	}
	fires := []Fire{}
	for _, t := range times {
		f, err := s.fire(t, FireBackfill, ScheduleRunID(s.name, t))
		if err != nil {
			return nil, err
		}
		fires = append(fires, f)
	}
	s.save()
	return fires, nil
}

// backfillTimes are the fire times of c in [from, to], at most one more
// than MaxBackfillFires.
func backfillTimes(c compiledSpec, from, to time.Time) []time.Time {
	var times []time.Time
	for t, ok := c.next(from.Add(-time.Nanosecond)); ok && !t.After(to) && len(times) <= MaxBackfillFires; t, ok = c.next(t) {
		times = append(times, t)
	}
	return times
}

func describeSchedule(ctx restate.ObjectSharedContext, _ restate.Void) (ScheduleInfo, error) {
	rec, err := restate.Get[*scheduleRecord](ctx, scheduleState)
	if err != nil {
		return ScheduleInfo{}, err
	}
	if rec == nil {
		return ScheduleInfo{}, scheduleNotFound(restate.Key(ctx))
	}
	gen, err := restate.Get[uint64](ctx, generationState)
	if err != nil {
		return ScheduleInfo{}, err
	}
	c, compileErr := compileSpec(rec.Spec)
	if compileErr != nil {
		return ScheduleInfo{}, compileErr
	}
	s := &scheduler{name: restate.Key(ctx), rec: rec, spec: c, gen: gen}
	return s.info(), nil
}

// info is the schedule as Describe shows it.
func (s *scheduler) info() ScheduleInfo {
	info := ScheduleInfo{
		Name: s.name, Spec: s.rec.Spec, NextFires: []time.Time{}, Running: s.rec.Running, Buffered: s.rec.Buffered,
		Recent: []Fire{}, Counts: s.rec.Counts, CreatedAt: s.rec.CreatedAt, UpdatedAt: s.rec.UpdatedAt, Generation: s.gen,
	}
	if info.Running == nil {
		info.Running = []ScheduledRun{}
	}
	if !s.rec.Spec.Paused {
		for t, ok := s.rec.Next, !s.rec.Next.IsZero(); ok && len(info.NextFires) < 3; t, ok = s.spec.next(t) {
			info.NextFires = append(info.NextFires, t)
		}
	}
	for i := len(s.rec.Recent) - 1; i >= 0; i-- {
		info.Recent = append(info.Recent, s.rec.Recent[i])
	}
	return info
}

// tickSchedule is the armed timer's message. A Tick of another generation
// than the schedule's, or for another fire than the next one (a repeated
// delivery), is stale and does nothing. Otherwise it handles every fire
// due by now, in order: those later than the catch-up window are counted
// as missed, the others fire; then it arms the next Tick.
func (in *interpreter) tickSchedule(ctx restate.ObjectContext, t scheduleTick) error {
	s, err := in.loadSchedule(ctx)
	if err != nil {
		return err
	}
	if s.rec == nil || s.gen != t.Generation || s.rec.Spec.Paused || !s.rec.Next.Equal(t.Nominal) {
		return nil
	}
	if err := s.readNow(); err != nil {
		return err
	}
	for fired := 0; !s.rec.Next.IsZero() && !s.rec.Next.After(s.now) && fired < maxFiresPerTick; fired++ {
		if s.missed(s.rec.Next) {
			s.skipMissed()
			continue
		}
		reason := FireScheduled
		if !s.rec.Next.Equal(t.Nominal) {
			reason = FireCatchup
		}
		if _, err := s.fire(s.rec.Next, reason, ScheduleRunID(s.name, s.rec.Next)); err != nil {
			return err
		}
		s.rec.Next, _ = s.spec.next(s.rec.Next)
	}
	s.save()
	s.arm()
	return nil
}

// missed tells whether the fire at nominal is later than the catch-up
// window allows.
func (s *scheduler) missed(nominal time.Time) bool {
	return s.now.Sub(nominal.Add(s.spec.delayOf(s.name, nominal))) > s.spec.catchup
}

// skipMissed moves Next past the fires older than the catch-up window,
// counting them, and notes them as one entry of the recent fires.
func (s *scheduler) skipMissed() {
	first := s.rec.Next
	var n int64
	for !s.rec.Next.IsZero() && s.missed(s.rec.Next) {
		if n == maxMissedScan {
			s.rec.Next, _ = s.spec.next(s.now.Add(-s.spec.catchup))
			break
		}
		n++
		s.rec.Next, _ = s.spec.next(s.rec.Next)
	}
	s.rec.Counts.Missed += n
	s.record(Fire{Nominal: first, Reason: FireScheduled, State: FireMissed, FiredAt: s.now, Count: n,
		Error: fmt.Sprintf("%d fires from %s were later than the catch-up window (%s) and did not run", n, first.UTC().Format(time.RFC3339), s.spec.catchup)})
}

// fire handles one fire under the overlap policy (a backfill starts its
// runs regardless).
func (s *scheduler) fire(nominal time.Time, reason, runID string) (Fire, error) {
	f := Fire{Nominal: nominal, RunID: runID, Reason: reason, FiredAt: s.now}
	s.watchOverdue()
	if reason != FireBackfill && s.inFlight() > 0 {
		switch s.spec.overlap {
		case OverlapSkip:
			return s.skip(f), nil
		case OverlapBufferOne:
			if s.rec.Buffered != nil {
				return s.skip(f), nil
			}
			f.State = FireBuffered
			s.rec.Buffered = &f
			s.record(f)
			return f, nil
		case OverlapCancelPrevious:
			for i := range s.rec.Running {
				if r := &s.rec.Running[i]; !r.Cancelled {
					restate.CancelInvocation(s.ctx, r.InvocationID)
					r.Cancelled = true
				}
			}
		}
	}
	return s.start(f)
}

func (s *scheduler) skip(f Fire) Fire {
	f.State = FireSkipped
	s.rec.Counts.Skipped++
	s.record(f)
	return f
}

// inFlight counts the runs not ended nor cancelled.
func (s *scheduler) inFlight() int {
	n := 0
	for _, r := range s.rec.Running {
		if !r.Cancelled {
			n++
		}
	}
	return n
}

// watchOverdue has the watch service wait for the runs that are still in
// flight at a later fire. A run reports its own end, unless it ends
// without its handler ending (killed by an operator, or cancelled by
// cancel-previous before it began); the watch makes sure the schedule
// learns of that too, and does not hold its overlap policy for a run that
// is gone. Runs that end within their interval, the usual case, need no
// watch.
func (s *scheduler) watchOverdue() {
	for i := range s.rec.Running {
		s.watch(&s.rec.Running[i])
	}
}

// watch has the watch service report the end of r, once.
func (s *scheduler) watch(r *ScheduledRun) {
	if r.Watched {
		return
	}
	r.Watched = true
	restate.ServiceSend(s.ctx, scheduleWatchService, "Watch").Send(watchRequest{Schedule: s.name, RunID: r.RunID, InvocationID: r.InvocationID})
}

// start starts the run of f with the definition the schedule fires. The
// run reports its end to the schedule; a backfilled run is watched as
// well, since its id may have run already, and Restate runs a workflow id
// once.
func (s *scheduler) start(f Fire) (Fire, error) {
	if slices.ContainsFunc(s.rec.Running, func(r ScheduledRun) bool { return r.RunID == f.RunID }) {
		f.State = FireRunning
		return f, nil
	}
	notStarted := func(err error) (Fire, error) {
		f.State, f.Error = FireNotStarted, err.Error()
		s.rec.Counts.NotStarted++
		s.record(f)
		return f, nil
	}
	if len(s.rec.Running) >= maxRunning {
		return notStarted(fmt.Errorf("%d runs of the schedule are in flight already", maxRunning))
	}
	deployed, err := s.firedDefinition()
	if err != nil {
		if restate.IsTerminalError(err) {
			return notStarted(err)
		}
		return Fire{}, err
	}
	run := restate.WorkflowSend(s.ctx, WorkflowService, f.RunID, "Run").
		Send(RunRequest{Definition: deployed.Definition, Input: s.rec.Spec.Input, File: deployed.File, Schedule: s.name})
	s.rec.Running = append(s.rec.Running, ScheduledRun{RunID: f.RunID, Nominal: f.Nominal, InvocationID: run.GetInvocationId()})
	if f.Reason == FireBackfill {
		s.watch(&s.rec.Running[len(s.rec.Running)-1])
	}
	f.State = FireRunning
	s.rec.Counts.Started++
	s.record(f)
	return f, nil
}

// record adds f to the recent fires.
func (s *scheduler) record(f Fire) {
	s.rec.Recent = append(s.rec.Recent, f)
	if over := len(s.rec.Recent) - recentFires; over > 0 {
		s.rec.Recent = slices.Delete(s.rec.Recent, 0, over)
	}
}

// scheduleRunFinished notes that a run ended, and starts the buffered
// fire when no run is left in flight.
func (in *interpreter) scheduleRunFinished(ctx restate.ObjectContext, msg runFinished) error {
	s, err := in.loadSchedule(ctx)
	if err != nil || s.rec == nil {
		return err
	}
	i := slices.IndexFunc(s.rec.Running, func(r ScheduledRun) bool { return r.RunID == msg.RunID })
	if i < 0 {
		return nil
	}
	s.rec.Running = slices.Delete(s.rec.Running, i, i+1)
	for k := len(s.rec.Recent) - 1; k >= 0; k-- {
		if f := &s.rec.Recent[k]; f.RunID == msg.RunID && f.State == FireRunning {
			f.State, f.Error = msg.State, msg.Error
			break
		}
	}
	if b := s.rec.Buffered; b != nil && s.inFlight() == 0 && !s.rec.Spec.Paused {
		if err := s.readNow(); err != nil {
			return err
		}
		s.rec.Buffered = nil
		f := *b
		f.FiredAt = s.now
		// The buffered entry of the recent fires becomes the started one.
		for k := len(s.rec.Recent) - 1; k >= 0; k-- {
			if s.rec.Recent[k].RunID == f.RunID && s.rec.Recent[k].State == FireBuffered {
				s.rec.Recent = slices.Delete(s.rec.Recent, k, k+1)
				break
			}
		}
		if _, err := s.start(f); err != nil {
			return err
		}
	}
	s.save()
	return nil
}

// watchScheduledRun waits for a run to end and tells its schedule how.
func watchScheduledRun(ctx restate.Context, w watchRequest) error {
	_, err := restate.AttachInvocation[json.RawMessage](ctx, w.InvocationID).Response()
	if err != nil && !restate.IsTerminalError(err) {
		return err
	}
	tellSchedule(ctx, w.Schedule, w.RunID, err)
	return nil
}

// reportToSchedule is a fired run's report of its end to its schedule,
// the last thing its handler journals: nothing while the run is retried
// (a non-terminal error), else how it ended, including cancelled.
func reportToSchedule(ctx restate.WorkflowContext, schedule string, err error) {
	if err == nil || restate.IsTerminalError(err) {
		tellSchedule(ctx, schedule, restate.Key(ctx), err)
	}
}

// tellSchedule sends schedule the end of its run runID, which err (nil or
// terminal) tells.
func tellSchedule(ctx restate.Context, schedule, runID string, err error) {
	msg := runFinished{RunID: runID, State: FireSucceeded}
	switch {
	case err == nil:
	case restate.AsTerminalError(err).Code() == codeCancelled:
		msg.State, msg.Error = FireCancelled, err.Error()
	default:
		msg.State, msg.Error = FireFailed, err.Error()
	}
	restate.ObjectSend(ctx, ScheduleService, schedule, "RunFinished").Send(msg)
}
