package console

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/reaflow/reaflow/client"
)

// pageSize is how many runs a page of the runs table shows.
const pageSize = 25

// runRow is one line of the runs table.
type runRow struct {
	ID, Definition, Version string
	State                   client.State
	CurrentStep, WaitingFor string
	Started                 time.Time
	Duration                time.Duration
}

// runsFilter is the runs page's form, as the query string carries it.
type runsFilter struct {
	State, Definition, IDPrefix string
	// After and Before are as an <input type=datetime-local> sends
	// them, read as UTC.
	After, Before string
	Page          string
}

const localTime = "2006-01-02T15:04"

func (f runsFilter) options() (client.ListOptions, error) {
	opts := client.ListOptions{State: client.State(f.State), Definition: f.Definition, IDPrefix: f.IDPrefix, Limit: pageSize, PageToken: f.Page}
	for _, t := range []struct {
		text string
		into *time.Time
	}{{f.After, &opts.CreatedAfter}, {f.Before, &opts.CreatedBefore}} {
		if t.text == "" {
			continue
		}
		v, err := time.Parse(localTime, t.text)
		if err != nil {
			return opts, err
		}
		*t.into = v
	}
	return opts, nil
}

// query is the filter as a query string, with the page token given.
func (f runsFilter) query(page string) string {
	v := url.Values{}
	for k, s := range map[string]string{"state": f.State, "definition": f.Definition, "id": f.IDPrefix, "after": f.After, "before": f.Before, "page": page} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return "/runs"
	}
	return "/runs?" + v.Encode()
}

type runsData struct {
	Filter      runsFilter
	States      []client.State
	Definitions []string
	Rows        []runRow
	// Next is the link to the next page; empty on the last. First is the
	// first page of the same filter, when this is not it.
	Next, First string
	Count       string
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := runsFilter{State: q.Get("state"), Definition: q.Get("definition"), IDPrefix: q.Get("id"), After: q.Get("after"), Before: q.Get("before"), Page: q.Get("page")}
	data := &runsData{Filter: f, States: []client.State{client.Running, client.Done, client.Failed}}
	p := &page{Title: "Runs", Nav: "runs", Data: data}
	status := http.StatusOK
	opts, err := f.options()
	if err != nil {
		p.Error, status = "the time range is not a date and time: "+err.Error(), http.StatusBadRequest
		s.renderPage(w, r, status, "runs", p)
		return
	}
	if q.Get("partial") != "1" {
		// The definitions are only offered in the filter form, which the
		// live refresh leaves alone.
		if names, err := s.c.Definitions(r.Context()); err == nil {
			data.Definitions = names
		}
	}
	listed, err := s.c.List(r.Context(), opts)
	if err != nil {
		p.Error, status = errorText(err), http.StatusBadGateway
		s.renderPage(w, r, status, "runs", p)
		return
	}
	now := time.Now()
	for _, run := range listed.Runs {
		data.Rows = append(data.Rows, rowOf(run, now))
	}
	if listed.NextPageToken != "" {
		data.Next = f.query(listed.NextPageToken)
	}
	if f.Page != "" {
		data.First = f.query("")
	}
	data.Count = strconv.Itoa(len(data.Rows))
	s.renderPage(w, r, status, "runs", p)
}

func rowOf(run *client.Run, now time.Time) runRow {
	row := runRow{ID: run.WorkflowID, Definition: run.Definition, Version: run.Version, State: run.State, WaitingFor: run.WaitingFor, Started: run.CreatedAt}
	end := now
	if run.Finished() {
		end = run.UpdatedAt
	}
	row.Duration = end.Sub(run.CreatedAt)
	row.CurrentStep = currentStep(run.Steps)
	return row
}

// currentStep names the innermost step that is in progress (or, in a
// failed run, the step it failed at): the last one met, depth first.
func currentStep(steps []client.StepStatus) string {
	found := ""
	var walk func([]client.StepStatus)
	walk = func(steps []client.StepStatus) {
		for _, st := range steps {
			switch st.State {
			case client.Running, client.Retrying, client.Waiting, client.Compensating, client.Failed:
				found = st.ID
			}
			walk(st.Steps)
			for _, b := range st.Branches {
				walk(b.Steps)
			}
			walk(st.Handler)
		}
	}
	walk(steps)
	return found
}
