package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/interpreter"
)

// scheduledEmails returns, per run id of schedule name, the number of
// emails the sandbox sent for it: each scheduled run sends one, with its
// workflow id as the subject.
func (r *crashRig) scheduledEmails(name string) map[string]int {
	emails := map[string]int{}
	for _, e := range r.providers.Ledger().Effects {
		var req struct {
			Subject string `json:"subject"`
		}
		if e.Provider == "email" && e.Succeeded() && json.Unmarshal(e.Request, &req) == nil && strings.HasPrefix(req.Subject, name+":") {
			emails[req.Subject]++
		}
	}
	return emails
}

func (r *crashRig) schedule(handler, name string, in any) interpreter.ScheduleInfo {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), time.Minute)
	defer cancel()
	out, err := ingress.Object[any, interpreter.ScheduleInfo](ingress.NewClient(r.server.IngressURL), interpreter.ScheduleService, name, handler).Request(ctx, in)
	require.NoError(r.t, err, "%s %s", handler, name)
	return out
}

// nominalTimes checks that every run of name sent one email and returns
// the runs' fire times, in order.
func nominalTimes(t *testing.T, name string, emails map[string]int) []time.Time {
	t.Helper()
	var times []time.Time
	for id, n := range emails {
		require.Equal(t, 1, n, "run %s sent %d emails", id, n)
		at, err := time.Parse("20060102T150405Z", strings.TrimPrefix(id, name+":"))
		require.NoError(t, err)
		times = append(times, at)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return times
}

// Schedules keep firing through SIGKILLs of the endpoint and of
// restate-server: within the catch-up window no fire is lost and none
// runs twice (run ids and the sandbox ledger); past a shorter window the
// late fires are skipped and counted.
func TestScheduleSurvivesCrashes(t *testing.T) {
	r := newCrashRig(t)
	def := fmt.Sprintf("ticker-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := ingress.Object[interpreter.DeployRequest, interpreter.DeployResult](ingress.NewClient(r.server.IngressURL), interpreter.DefinitionsService, def, "Deploy").
		Request(ctx, interpreter.DeployRequest{Definition: `{"name": "` + def + `", "steps": [
  {"id": "mail", "activity": "email", "with": {"to": "ops@example.com", "subject": "${ workflow.id }"}}]}`})
	require.NoError(t, err)
	kept, short := "kept-"+def, "short-"+def
	r.schedule("Create", kept, interpreter.ScheduleSpec{Workflow: def, Every: "1s", CatchupWindow: "1m", Overlap: interpreter.OverlapAllowAll})
	r.schedule("Create", short, interpreter.ScheduleSpec{Workflow: def, Every: "1s", CatchupWindow: "1s", Overlap: interpreter.OverlapAllowAll})

	fired := func(n int) func() bool { return func() bool { return len(r.scheduledEmails(kept)) >= n } }
	require.Eventually(t, fired(3), time.Minute, 50*time.Millisecond, "the schedule fires")

	r.killEndpoint()
	time.Sleep(4 * time.Second)
	r.startEndpoint()
	require.Eventually(t, fired(len(r.scheduledEmails(kept))+3), time.Minute, 50*time.Millisecond, "fires after the endpoint's restart")

	require.NoError(t, r.server.Kill())
	time.Sleep(4 * time.Second)
	require.NoError(t, r.server.Restart(t.Context()))
	require.Eventually(t, fired(len(r.scheduledEmails(kept))+3), time.Minute, 50*time.Millisecond, "fires after restate-server's restart")

	for _, name := range []string{kept, short} {
		r.schedule("Pause", name, "end of test")
	}
	require.Eventually(t, func() bool {
		return len(r.schedule("Describe", kept, restate.Void{}).Running) == 0 && len(r.schedule("Describe", short, restate.Void{}).Running) == 0
	}, time.Minute, 100*time.Millisecond, "the last runs end")

	info := r.schedule("Describe", kept, restate.Void{})
	times := nominalTimes(t, kept, r.scheduledEmails(kept))
	require.Equal(t, int(info.Counts.Started), len(times), "every started run sent its email once")
	for i := 1; i < len(times); i++ {
		require.Equal(t, time.Second, times[i].Sub(times[i-1]), "no fire lost between %s and %s", times[i-1], times[i])
	}
	require.Zero(t, info.Counts.Missed)
	require.Zero(t, info.Counts.Skipped)

	info = r.schedule("Describe", short, restate.Void{})
	times = nominalTimes(t, short, r.scheduledEmails(short))
	require.Equal(t, int(info.Counts.Started), len(times))
	require.Positive(t, info.Counts.Missed, "fires later than a 1s catch-up window are counted as missed")
	span := int64(times[len(times)-1].Sub(times[0])/time.Second) + 1
	require.Equal(t, span, int64(len(times))+info.Counts.Missed, "every fire time either ran once or was counted missed")
}
