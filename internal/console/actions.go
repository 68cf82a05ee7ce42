package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/dsl"
)

// Each action answers like the command line does: on success the run
// page again with a notice (a redirect, so that reloading it sends
// nothing twice), on failure the run page with the error as `reaflow`
// would print it.

func (s *Server) done(w http.ResponseWriter, r *http.Request, id, notice string) {
	http.Redirect(w, r, "/runs/"+url.PathEscape(id)+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (s *Server) failed(w http.ResponseWriter, r *http.Request, status int, err error) {
	// The page drawn is the run's, not the form's.
	r.URL.RawQuery = ""
	s.showRun(w, r, status, err.Error())
}

func (s *Server) signal(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PostFormValue("name")
	notDelivered := func(format string, args ...any) error {
		return fmt.Errorf("reaflow signal: signal %q not delivered to run %s: %s", name, id, fmt.Sprintf(format, args...))
	}
	details, err := s.c.Details(r.Context(), id)
	if err != nil {
		s.failed(w, r, http.StatusBadGateway, notDelivered("%s", errorText(err)))
		return
	}
	prog, err := dsl.Load(details.File, []byte(details.Definition))
	if err != nil {
		s.failed(w, r, http.StatusConflict, notDelivered("the run's definition does not load: %v", err))
		return
	}
	await := prog.Await(name)
	if await == nil {
		s.failed(w, r, http.StatusBadRequest, notDelivered("the run has no await step for it"))
		return
	}
	payload, err := signalPayload(r, newSignalForm(name, await, details.Definition))
	if err == nil {
		// The payload is checked as the run will check it, before
		// anything is sent.
		err = await.ValidatePayload(payload)
	}
	if err != nil {
		s.failed(w, r, http.StatusBadRequest, notDelivered("%v", err))
		return
	}
	err = s.c.Signal(r.Context(), id, name, payload)
	var (
		finished *client.FinishedError
		refused  *client.RefusedError
	)
	switch {
	case err == nil:
		s.done(w, r, id, fmt.Sprintf("delivered signal %q to run %s", name, id))
	case errors.Is(err, client.ErrNotFound):
		s.failed(w, r, http.StatusNotFound, notDelivered("there is no such run"))
	case errors.As(err, &finished):
		s.failed(w, r, http.StatusConflict, notDelivered("the run has already finished (%s) and awaits no signal", finished.State))
	case errors.As(err, &refused):
		s.failed(w, r, http.StatusConflict, notDelivered("%s", refused.Message))
	default:
		s.failed(w, r, http.StatusBadGateway, notDelivered("%s", errorText(err)))
	}
}

// signalPayload builds the payload from the form's fields, or takes the
// JSON text area's.
func signalPayload(r *http.Request, form signalForm) (json.RawMessage, error) {
	if len(form.Fields) == 0 || r.PostFormValue("payload") != "" {
		text := strings.TrimSpace(r.PostFormValue("payload"))
		if text == "" {
			return json.RawMessage("null"), nil
		}
		if !json.Valid([]byte(text)) {
			return nil, errors.New("the payload is not JSON")
		}
		return json.RawMessage(text), nil
	}
	obj := map[string]any{}
	for _, f := range form.Fields {
		v := strings.TrimSpace(r.PostFormValue("field." + f.Name))
		if v == "" {
			continue
		}
		switch f.Type {
		case "boolean":
			obj[f.Name] = v == "true"
		case "number", "integer":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", f.Name, v)
			}
			obj[f.Name] = n
		default:
			obj[f.Name] = v
		}
	}
	return json.Marshal(obj)
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	id, callback := r.PathValue("id"), r.PostFormValue("callback")
	value := strings.TrimSpace(r.PostFormValue("value"))
	if value == "" {
		value = "null"
	}
	if !json.Valid([]byte(value)) {
		s.failed(w, r, http.StatusBadRequest, fmt.Errorf("reaflow resolve: the value is not JSON"))
		return
	}
	_, err := s.c.Resolve(r.Context(), callback, json.RawMessage(value))
	s.completed(w, r, id, "resolve", "resolved", callback, err)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	id, callback := r.PathValue("id"), r.PostFormValue("callback")
	_, err := s.c.Reject(r.Context(), callback, r.PostFormValue("message"))
	s.completed(w, r, id, "reject", "rejected", callback, err)
}

func (s *Server) completed(w http.ResponseWriter, r *http.Request, id, verb, past, callback string, err error) {
	var finished *client.FinishedError
	switch {
	case err == nil:
		s.done(w, r, id, fmt.Sprintf("%s callback %s", past, callback))
	case errors.Is(err, client.ErrNotFound):
		s.failed(w, r, http.StatusNotFound, fmt.Errorf("reaflow %s: no run waits for callback %s", verb, callback))
	case errors.As(err, &finished):
		s.failed(w, r, http.StatusConflict, fmt.Errorf("reaflow %s: callback %s: %w", verb, callback, err))
	default:
		s.failed(w, r, http.StatusBadGateway, fmt.Errorf("reaflow %s: %s", verb, errorText(err)))
	}
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inv, err := s.c.Cancel(r.Context(), id)
	switch {
	case err == nil:
		s.done(w, r, id, fmt.Sprintf("cancelling run %s (invocation %s): it stops at its current step and runs its compensations", id, inv))
	case errors.Is(err, client.ErrNotFound):
		s.failed(w, r, http.StatusNotFound, fmt.Errorf("reaflow cancel: no such run %q", id))
	case errors.Is(err, client.ErrFinished):
		s.failed(w, r, http.StatusConflict, fmt.Errorf("reaflow cancel: %w", err))
	default:
		s.failed(w, r, http.StatusBadGateway, fmt.Errorf("reaflow cancel: %s", errorText(err)))
	}
}

func (s *Server) redrive(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	plan, err := s.c.Redrive(r.Context(), id, client.RedriveOptions{From: r.PostFormValue("from")})
	switch {
	case err == nil:
		http.Redirect(w, r, "/runs/"+url.PathEscape(plan.ID)+"?notice="+url.QueryEscape(fmt.Sprintf("redriving run %s as %s", id, plan.ID)), http.StatusSeeOther)
	case errors.Is(err, client.ErrCannotRedrive), errors.Is(err, client.ErrNotFound):
		s.failed(w, r, http.StatusConflict, fmt.Errorf("reaflow redrive: %w", err))
	default:
		s.failed(w, r, http.StatusBadGateway, fmt.Errorf("reaflow redrive: %s", errorText(err)))
	}
}
