package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/interpreter"
)

// scheduleRow is one schedule as the schedules table and the schedule
// page show it.
type scheduleRow struct {
	interpreter.ScheduleInfo
	// LastRun is the last fire that started a run; nil before the first.
	LastRun *interpreter.Fire
	// Runs lists the schedule's runs: their ids start with its name and
	// a colon.
	Runs string
}

func scheduleRowOf(info interpreter.ScheduleInfo) scheduleRow {
	return scheduleRow{ScheduleInfo: info, LastRun: info.LastRun(), Runs: runsFilter{IDPrefix: info.Name + ":"}.query("")}
}

type schedulesData struct {
	Schedules []scheduleRow
}

func (s *Server) schedulesPage(w http.ResponseWriter, r *http.Request) {
	data := &schedulesData{}
	p := &page{Title: "Schedules", Nav: "schedules", Data: data}
	names, err := s.c.Schedules(r.Context())
	if err != nil {
		p.Error = errorText(err)
		s.renderPage(w, r, http.StatusBadGateway, "schedules", p)
		return
	}
	for _, name := range names {
		info, err := s.c.DescribeSchedule(r.Context(), name)
		if errors.Is(err, client.ErrRefused) {
			continue // deleted since it was listed
		}
		if err != nil {
			p.Error = errorText(err)
			break
		}
		data.Schedules = append(data.Schedules, scheduleRowOf(*info))
	}
	s.renderPage(w, r, http.StatusOK, "schedules", p)
}

func (s *Server) schedulePage(w http.ResponseWriter, r *http.Request) {
	s.showSchedule(w, r, http.StatusOK, "")
}

// showSchedule draws the schedule's page, with the error of an action
// that failed.
func (s *Server) showSchedule(w http.ResponseWriter, r *http.Request, status int, actionErr string) {
	name := r.PathValue("name")
	p := &page{Title: "Schedule " + name, Nav: "schedules", Error: actionErr}
	info, err := s.c.DescribeSchedule(r.Context(), name)
	if err != nil {
		if p.Error == "" {
			p.Error, status = errorText(err), refusedStatus(err)
		}
		s.renderPage(w, r, status, "schedule", p)
		return
	}
	row := scheduleRowOf(*info)
	p.Data = &row
	s.renderPage(w, r, status, "schedule", p)
}

// refusedStatus is the status of a page whose request Restate answered
// with err: its code when the schedule (or Restate) refused, 502 when
// Restate did not answer.
func refusedStatus(err error) int {
	var refused *client.RefusedError
	if errors.As(err, &refused) && refused.Code >= 400 && refused.Code < 500 {
		return refused.Code
	}
	return http.StatusBadGateway
}

// Schedule actions answer as the run actions do: the schedule's page
// with a notice, or with the error as `reaflow schedule` prints it.

func (s *Server) scheduleChanged(w http.ResponseWriter, r *http.Request, verb, notice string, err error) {
	name := r.PathValue("name")
	if err != nil {
		r.URL.RawQuery = ""
		s.showSchedule(w, r, refusedStatus(err), fmt.Sprintf("reaflow schedule %s %s: %s", verb, name, errorText(err)))
		return
	}
	http.Redirect(w, r, "/schedules/"+url.PathEscape(name)+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (s *Server) pauseSchedule(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	_, err := s.c.PauseSchedule(r.Context(), name, r.PostFormValue("note"))
	s.scheduleChanged(w, r, "pause", "paused schedule "+name, err)
}

func (s *Server) resumeSchedule(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	_, err := s.c.ResumeSchedule(r.Context(), name)
	s.scheduleChanged(w, r, "resume", "resumed schedule "+name, err)
}

func (s *Server) triggerSchedule(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, err := s.c.TriggerSchedule(r.Context(), name)
	notice := ""
	if err == nil {
		switch f.State {
		case interpreter.FireRunning:
			notice = fmt.Sprintf("triggered schedule %s: started run %s", name, f.RunID)
		case interpreter.FireNotStarted:
			notice = fmt.Sprintf("triggered schedule %s: run %s not started: %s", name, f.RunID, f.Error)
		default:
			notice = fmt.Sprintf("triggered schedule %s: %s %s (overlap policy)", name, f.State, f.RunID)
		}
	}
	s.scheduleChanged(w, r, "trigger", notice, err)
}

// State is the schedule's in a word: paused, ended (no fire time left
// before its end) or active.
func (row *scheduleRow) State() string {
	switch {
	case row.Spec.Paused:
		return "paused"
	case len(row.NextFires) == 0:
		return "ended"
	}
	return "active"
}

// Overlap is the schedule's overlap policy, the default's name when it
// names none.
func (row *scheduleRow) Overlap() interpreter.Overlap {
	if row.Spec.Overlap == "" {
		return interpreter.OverlapSkip
	}
	return row.Spec.Overlap
}

// CatchupWindow is how late a missed fire may still run.
func (row *scheduleRow) CatchupWindow() string {
	if row.Spec.CatchupWindow == "" {
		return interpreter.DefaultCatchupWindow.String()
	}
	return row.Spec.CatchupWindow
}

// fireClass is the CSS class of a fire's state, in the colours of the
// run states it stands for.
func fireClass(state string) string {
	switch state {
	case interpreter.FireRunning, "active":
		return stateClass(client.Running)
	case interpreter.FireSucceeded:
		return stateClass(client.Done)
	case interpreter.FireFailed, interpreter.FireNotStarted:
		return stateClass(client.Failed)
	case interpreter.FireCancelled:
		return stateClass(client.Cancelled)
	case "paused":
		return stateClass(client.Waiting)
	}
	return stateClass(client.Skipped)
}
