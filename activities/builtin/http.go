package builtin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/reaflow/reaflow/activities"
)

// HTTPInput is the input of the http activity.
type HTTPInput struct {
	// Method defaults to POST when there is a body and GET otherwise.
	Method string `json:"method,omitempty"`
	// URL is an absolute http or https URL.
	URL string `json:"url"`
	// Headers are sent as given. The step's idempotency key is sent as
	// Idempotency-Key unless Headers sets that header.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is sent as is if it is a string (as text/plain) and as JSON
	// otherwise; a Content-Type in Headers wins.
	Body any `json:"body,omitempty"`
	// ExpectStatus lists the statuses that count as success; by default
	// any 2xx. Any other status fails the step, retryably or not as
	// Register describes.
	ExpectStatus []int `json:"expectStatus,omitempty"`
}

// HTTPOutput is the output of the http activity.
type HTTPOutput struct {
	Status int `json:"status"`
	// Headers holds each answer header once, its values joined by ", ".
	Headers map[string]string `json:"headers"`
	// Body is the parsed value of a JSON answer, else the answer as text.
	Body any `json:"body"`
}

func httpCall(client *http.Client) activities.Func[HTTPInput, HTTPOutput] {
	return func(ctx *activities.Context, in HTTPInput) (HTTPOutput, error) {
		req, err := newHTTPRequest(ctx, in)
		if err != nil {
			return HTTPOutput{}, &activities.Error{Code: "invalid_input", Message: "http: " + err.Error(), Terminal: true, Err: err}
		}
		status, header, body, err := send(client, req)
		if refusal := hostNotAllowed(err); refusal != nil {
			return HTTPOutput{}, refusal
		}
		if err != nil {
			return HTTPOutput{}, err
		}
		if !expected(status, in.ExpectStatus) {
			return HTTPOutput{}, responseError(req.Method+" "+req.URL.Redacted(), status, body)
		}
		out := HTTPOutput{Status: status, Headers: make(map[string]string, len(header)), Body: parseBody(header, body)}
		for name, values := range header {
			out.Headers[name] = strings.Join(values, ", ")
		}
		return out, nil
	}
}

func newHTTPRequest(ctx *activities.Context, in HTTPInput) (*http.Request, error) {
	u, err := url.Parse(in.URL)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an absolute http or https URL", in.URL)
	}
	var body io.Reader
	var contentType string
	switch b := in.Body.(type) {
	case nil:
	case string:
		body, contentType = strings.NewReader(b), "text/plain; charset=utf-8"
	default:
		encoded, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		body, contentType = bytes.NewReader(encoded), "application/json"
	}
	method := strings.ToUpper(in.Method)
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for name, value := range in.Headers {
		req.Header.Set(name, value)
	}
	if ctx.IdempotencyKey != "" && req.Header.Get("Idempotency-Key") == "" {
		req.Header.Set("Idempotency-Key", ctx.IdempotencyKey)
	}
	return req, nil
}

func expected(status int, want []int) bool {
	if len(want) == 0 {
		return status >= 200 && status <= 299
	}
	return slices.Contains(want, status)
}

// parseBody decodes a JSON answer so that later steps can reach into it;
// an answer that claims to be JSON but is not stays text.
func parseBody(header http.Header, body []byte) any {
	if len(body) == 0 {
		return nil
	}
	mediaType, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") {
		var v any
		if json.Unmarshal(body, &v) == nil {
			return v
		}
	}
	return string(body)
}
