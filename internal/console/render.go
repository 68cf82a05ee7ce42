package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/reaflow/reaflow/client"
)

type sessionKey struct{}

func withSession(ctx context.Context, session string) context.Context {
	return context.WithValue(ctx, sessionKey{}, session)
}

var funcs = template.FuncMap{
	"stateClass":  stateClass,
	"ago":         ago,
	"clock":       clock,
	"duration":    humanDuration,
	"json":        prettyJSON,
	"add":         func(a, b int) int { return a + b },
	"lines":       func(s string) []string { return strings.Split(s, "\n") },
	"fireClass":   fireClass,
	"args":        func(v ...any) []any { return v },
	"clockMillis": func(t *time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") },
	"took": func(st *client.StepStatus) string {
		if d, ok := stepTook(st); ok {
			return humanDuration(d)
		}
		return ""
	},
}

// partials are the templates every page is parsed with.
var partials = []string{"layout", "graph", "schedule-actions"}

// parsePages parses each page with the layout: one template set per
// page, so that each defines its own "content" and "live".
func parsePages() (map[string]*template.Template, error) {
	names, err := templateFiles.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, e := range names {
		name := strings.TrimSuffix(e.Name(), ".html")
		if slices.Contains(partials, name) {
			continue
		}
		// The page comes last: its definitions replace the layout's
		// defaults ({{block}}).
		var files []string
		for _, p := range partials {
			files = append(files, path.Join("templates", p+".html"))
		}
		files = append(files, path.Join("templates", e.Name()))
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, files...)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// page is what every page's template gets.
type page struct {
	Title string
	// Nav is the section the page belongs to: "runs", "definitions" or
	// "schedules".
	Nav  string
	CSRF string
	// Error is a failed request or action, shown as the CLI shows it.
	Error  string
	Notice string
	Data   any
}

// render writes the page, or with ?partial=1 only its live parts, which
// the script swaps in.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.renderPage(w, r, status, name, &page{Data: data})
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	if session, ok := r.Context().Value(sessionKey{}).(string); ok {
		p.CSRF = s.csrf(session)
	}
	if p.Notice == "" {
		p.Notice = r.URL.Query().Get("notice")
	}
	root := "layout"
	if r.URL.Query().Get("partial") == "1" {
		root = "live"
	}
	var b bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&b, root, p); err != nil {
		s.log.Error("console: render", "page", name, "err", err)
		http.Error(w, "the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// stateClass is the CSS class of a state: "state-done", "state-compensation-failed".
func stateClass(state any) string {
	s := fmt.Sprint(state)
	if s == "" {
		s = "pending"
	}
	return "state-" + strings.ReplaceAll(s, " ", "-")
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return humanDuration(time.Since(t)) + " ago"
}

func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// maxShown bounds a JSON value written into a page.
const maxShown = 64 << 10

func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		b.Reset()
		b.Write(raw)
	}
	if b.Len() > maxShown {
		return b.String()[:maxShown] + fmt.Sprintf("\n… (%d bytes in all; `reaflow output` or the client API has the rest)", b.Len())
	}
	return b.String()
}
