// Package console is the web console of `reaflow console`: pages for
// runs (a filtered, paged table), one run (its definition drawn as nested
// boxes coloured by step state, the selected step's details, actions) and
// deployed definitions, served from the binary.
//
// Like Go's pprof web UI it renders with html/template and ships its
// stylesheet and a little plain JavaScript embedded with go:embed: no
// framework, nothing fetched at run time. Everything it asks Restate goes
// through package client.
//
// Live refresh is the script fetching the page it shows again (with
// ?partial=1, only the parts that change) and replacing the elements
// marked data-live whose HTML changed, so a form being typed into stays as
// it is while the run moves.
//
// Security: see Server. State-changing requests are POSTs that must come
// from the console's own pages (a same-origin Origin or Sec-Fetch-Site
// header and the session's CSRF token), and a console given a token lets
// in only requests that carry it (a cookie set by the login form, or an
// Authorization bearer header).
package console
