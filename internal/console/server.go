package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/reaflow/reaflow/client"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Server is the console's HTTP handler.
//
// Without a token it answers only requests addressed to a loopback name
// (Host 127.0.0.1, [::1] or localhost), so that a web page cannot reach
// it by rebinding its own domain name to 127.0.0.1. With a token every
// request must carry it: the login form sets a cookie that holds an HMAC
// of it, and API clients may send it as an Authorization bearer token.
type Server struct {
	c      *client.Client
	token  string
	key    []byte
	log    *slog.Logger
	pages  map[string]*template.Template
	static http.Handler
	mux    *http.ServeMux
}

type config struct {
	token  string
	logger *slog.Logger
}

// Option configures a Server.
type Option func(*config)

// WithToken requires every request to carry token: needed whenever the
// console listens beyond loopback.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithLogger logs the requests that fail on Restate's side.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// New returns a console that asks Restate through c.
func New(c *client.Client, opts ...Option) (*Server, error) {
	cfg := config{logger: slog.Default()}
	for _, opt := range opts {
		opt(&cfg)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	s := &Server{c: c, token: cfg.token, key: key, log: cfg.logger, pages: pages, static: http.FileServerFS(static), mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/runs", http.StatusSeeOther) })
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", s.static))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("GET /runs", s.runsPage)
	s.mux.HandleFunc("GET /runs/{id}", s.runPage)
	s.mux.HandleFunc("POST /runs/{id}/signal", s.signal)
	s.mux.HandleFunc("POST /runs/{id}/resolve", s.resolve)
	s.mux.HandleFunc("POST /runs/{id}/reject", s.reject)
	s.mux.HandleFunc("POST /runs/{id}/cancel", s.cancel)
	s.mux.HandleFunc("POST /runs/{id}/redrive", s.redrive)
	s.mux.HandleFunc("GET /definitions", s.definitionsPage)
	s.mux.HandleFunc("GET /definitions/{name}", s.definitionPage)
	s.mux.HandleFunc("GET /schedules", s.schedulesPage)
	s.mux.HandleFunc("GET /schedules/{name}", s.schedulePage)
	s.mux.HandleFunc("POST /schedules/{name}/pause", s.pauseSchedule)
	s.mux.HandleFunc("POST /schedules/{name}/resume", s.resumeSchedule)
	s.mux.HandleFunc("POST /schedules/{name}/trigger", s.triggerSchedule)
}

const (
	sessionCookie = "reaflow_console_session"
	authCookie    = "reaflow_console_auth"
	csrfField     = "csrf"
)

// ServeHTTP checks who is asking before the page or action answers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if s.token == "" && !loopbackHost(r.Host) {
		http.Error(w, "this console answers only at a loopback address (127.0.0.1, [::1], localhost); start it with --token to serve it beyond loopback", http.StatusMisdirectedRequest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		http.Error(w, "cross-site request refused: a console action must come from the console's own page", http.StatusForbidden)
		return
	}
	public := strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/login"
	if !public && !s.authorized(r) {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		http.Error(w, "a token is needed: log in at /login", http.StatusUnauthorized)
		return
	}
	session := s.session(w, r)
	if r.Method == http.MethodPost && r.URL.Path != "/login" {
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(s.csrf(session))) != 1 {
			http.Error(w, "the form's CSRF token does not match this session: reload the page and try again", http.StatusForbidden)
			return
		}
	}
	s.mux.ServeHTTP(w, r.WithContext(withSession(r.Context(), session)))
}

// sameOrigin tells whether a state-changing request comes from the
// console's own pages: browsers say where a request comes from in Origin
// and Sec-Fetch-Site, and one of them must say "here". A request with
// neither is refused too, so that no browser quirk makes it through.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		return err == nil && u.Host == r.Host && (u.Scheme == "http" || u.Scheme == "https")
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

// loopbackHost tells whether a Host header names this machine's loopback.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) authorized(r *http.Request) bool {
	if s.token == "" {
		return true
	}
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return subtle.ConstantTimeCompare([]byte(bearer), []byte(s.token)) == 1
	}
	c, err := r.Cookie(authCookie)
	return err == nil && hmac.Equal([]byte(c.Value), []byte(s.mac("auth", s.token)))
}

// mac is the hex HMAC of the parts under the server's key, which is new
// with every start: restarting the console logs everyone out.
func (s *Server) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// session returns the browser's session id, setting a new one when it has
// none. The CSRF token of the forms is derived from it.
func (s *Server) session(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return id
}

func (s *Server) csrf(session string) string { return s.mac("csrf", session) }

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "NeedsToken": s.token != ""})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	if s.token == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(s.token)) != 1 {
		s.render(w, r, http.StatusUnauthorized, "login", map[string]any{"Next": next, "NeedsToken": true, "Error": "that is not the console's token"})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: authCookie, Value: s.mac("auth", s.token), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/runs"
	}
	return next
}

// errorText is how a failed request to Restate reads on a page.
func errorText(err error) string {
	var unreachable *client.UnreachableError
	if errors.As(err, &unreachable) {
		return err.Error() + " (is Restate running? start it with 'reaflow dev')"
	}
	return err.Error()
}
