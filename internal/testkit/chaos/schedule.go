package chaos

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	reaflow "github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/interpreter"
)

// The soak's schedules fire a quick deployed definition every second,
// from before the first job until after the chaos (README, "Schedules"):
// one email per fire, its subject the run's id. Their catch-up window
// outlasts every kill, and they allow all overlap, so every fire time
// from the first to the last must have started exactly one run.
const (
	scheduleWorkflow = "chaos-tick"
	scheduleEvery    = time.Second
	scheduleCatchup  = time.Minute
	tickDefinition   = `{"name": "chaos-tick", "version": "1.0.0", "steps": [
  {"id": "mail", "activity": "email", "with": {"to": "ops@example.com", "subject": "${ workflow.id }"}}]}`
)

// scheduleSettle bounds the wait, at the end, for a schedule to fire
// after the chaos and for its runs to end once it is paused.
const scheduleSettle = time.Minute

// soakSchedule is one schedule of the soak and what was seen of it.
type soakSchedule struct {
	Name string
	// First is the first fire time, as Create reported it.
	First time.Time
	// FiredAfterChaos is set once a fire due after the chaos ended was
	// seen: the schedule survived every kill.
	FiredAfterChaos bool
	// Info is what Describe said once the schedule was paused and its
	// runs had ended.
	Info *interpreter.ScheduleInfo
	// Runs counts Restate's Run invocations by the schedule's run ids;
	// States has each one's state.
	Runs   map[string]int
	States map[string]runState
	// Trouble is what went wrong on the way.
	Trouble []string
}

// startSchedules deploys the definition the schedules run and creates n
// schedules of it.
func startSchedules(ctx context.Context, api *reaflow.Client, n int, seed uint64) ([]*soakSchedule, error) {
	if n == 0 {
		return nil, nil
	}
	if _, err := api.Deploy(ctx, []byte(tickDefinition), scheduleWorkflow+".json"); err != nil {
		return nil, fmt.Errorf("deploy %s: %w", scheduleWorkflow, err)
	}
	var out []*soakSchedule
	for i := range n {
		name := fmt.Sprintf("chaos-%d-tick-%d", seed, i)
		info, err := api.CreateSchedule(ctx, name, interpreter.ScheduleSpec{
			Workflow: scheduleWorkflow, Every: scheduleEvery.String(), CatchupWindow: scheduleCatchup.String(), Overlap: interpreter.OverlapAllowAll,
		})
		if err != nil {
			return nil, fmt.Errorf("create schedule %s: %w", name, err)
		}
		if len(info.NextFires) == 0 {
			return nil, fmt.Errorf("schedule %s has no fire time", name)
		}
		out = append(out, &soakSchedule{Name: name, First: info.NextFires[0]})
	}
	return out, nil
}

// retry calls fn until it succeeds or ctx ends; it returns fn's last
// error.
func retry(ctx context.Context, fn func(ctx context.Context) error) error {
	for {
		err := fn(ctx)
		if err == nil || !pause(ctx) {
			return err
		}
	}
}

// finish waits for a fire due after chaosEnd, pauses the schedule, waits
// for its runs to end and reads what it did.
func (s *soakSchedule) finish(ctx context.Context, api *reaflow.Client, q querier, chaosEnd time.Time) {
	ctx, cancel := context.WithTimeout(ctx, scheduleSettle)
	defer cancel()
	trouble := func(format string, args ...any) { s.Trouble = append(s.Trouble, fmt.Sprintf(format, args...)) }
	if err := retry(ctx, func(ctx context.Context) error {
		info, err := api.DescribeSchedule(ctx, s.Name)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(info.Recent, func(f interpreter.Fire) bool { return f.RunID != "" && !f.Nominal.Before(chaosEnd) }) {
			return fmt.Errorf("no fire due after the chaos ended (%s) yet", chaosEnd.UTC().Format(time.RFC3339Nano))
		}
		s.FiredAfterChaos = true
		return nil
	}); err != nil {
		trouble("it stopped firing: %v", err)
	}
	if err := retry(ctx, func(ctx context.Context) error {
		_, err := api.PauseSchedule(ctx, s.Name, "end of the chaos soak")
		return err
	}); err != nil {
		trouble("pause: %v", err)
		return
	}
	if err := retry(ctx, func(ctx context.Context) error {
		info, err := api.DescribeSchedule(ctx, s.Name)
		if err != nil {
			return err
		}
		s.Info = info
		if len(info.Running) > 0 {
			return fmt.Errorf("%d runs still in flight", len(info.Running))
		}
		return nil
	}); err != nil {
		trouble("after the pause: %v", err)
	}
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT target_service_key, status, completion_result, completion_failure FROM sys_invocation
		WHERE target_service_name = '%s' AND target_handler_name = 'Run' AND target_service_key LIKE '%s:%%'`, interpreter.WorkflowService, sqlQuote(s.Name)))
	if err != nil {
		trouble("its runs are not readable: %v", err)
		return
	}
	s.Runs, s.States = map[string]int{}, map[string]runState{}
	for _, row := range rows {
		id := str(row["target_service_key"])
		s.Runs[id]++
		s.States[id] = runState{Status: str(row["status"]), Result: str(row["completion_result"]), Failure: str(row["completion_failure"])}
	}
}

// fireIDs are the run ids of the fires from the first to the last the
// schedule reports (the newest of its recent fires with a run), one
// interval apart.
func (s *soakSchedule) fireIDs() []string {
	if s.Info == nil {
		return nil
	}
	var last time.Time
	for _, f := range s.Info.Recent {
		if f.RunID != "" && f.Nominal.After(last) {
			last = f.Nominal
		}
	}
	var ids []string
	for t := s.First; !t.After(last); t = t.Add(scheduleEvery) {
		ids = append(ids, interpreter.ScheduleRunID(s.Name, t))
	}
	return ids
}

// verifySchedule checks a schedule once paused: its fires from the first
// to the last each started one run, under the id of its fire time, and
// no other run; Describe counts them all as started and none as missed,
// skipped or not started; and it fired after the chaos.
func verifySchedule(s *soakSchedule) []Problem {
	var problems []Problem
	add := func(format string, args ...any) {
		problems = append(problems, Problem{Run: s.Name, Scenario: "schedule", Check: "schedule", Detail: fmt.Sprintf(format, args...)})
	}
	for _, t := range s.Trouble {
		add("%s", t)
	}
	if s.Info == nil || s.Runs == nil {
		return problems
	}
	ids := s.fireIDs()
	fired := map[string]bool{}
	var gaps, twice []string
	for _, id := range ids {
		fired[id] = true
		switch n := s.Runs[id]; {
		case n == 0:
			gaps = append(gaps, id)
		case n > 1:
			twice = append(twice, fmt.Sprintf("%s (%d runs)", id, n))
		}
	}
	var stray []string
	for id := range s.Runs {
		if !fired[id] {
			stray = append(stray, id)
		}
	}
	slices.Sort(stray)
	if len(gaps) > 0 {
		add("%d of the %d fires from %s on have no run: %s", len(gaps), len(ids), s.First.UTC().Format(time.RFC3339), strings.Join(gaps, ", "))
	}
	if len(twice) > 0 {
		add("fires with more than one run: %s", strings.Join(twice, ", "))
	}
	if len(stray) > 0 {
		add("runs that are not of a fire time from %s to the last fire, one interval apart: %s", s.First.UTC().Format(time.RFC3339), strings.Join(stray, ", "))
	}
	c := s.Info.Counts
	if c.Started != int64(len(ids)) || c.Missed != 0 || c.Skipped != 0 || c.NotStarted != 0 {
		add("describe counts %d started, %d missed, %d skipped, %d not started; expected %d started and no other", c.Started, c.Missed, c.Skipped, c.NotStarted, len(ids))
	}
	if len(s.Info.Running) > 0 {
		add("%d runs still in flight after the pause", len(s.Info.Running))
	}
	return problems
}

// observations are the schedule's runs as the soak checks any run: each
// completed, with its one email.
func (s *soakSchedule) observations() []*observation {
	var obs []*observation
	for _, id := range slices.Sorted(maps.Keys(s.Runs)) {
		st := s.States[id]
		r := &run{ID: id, Scenario: "schedule", File: scheduleWorkflow, Expect: expectation{
			Completed: true,
			Effects:   []expectedEffect{stepEffect(id, "mail", routeEmail)},
			Check: func(v *runView) []string {
				return v.same("email subject", v.requestField("mail", "subject"), id)
			},
		}}
		obs = append(obs, &observation{Run: r, Submitted: true, Finished: st.done(), State: st})
	}
	return obs
}
