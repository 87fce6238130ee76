package azure

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// Exchange is one request to real Azure and its answer, as the recorder
// hands it to the trace book (which masks secrets, tokens and identity
// headers exactly as it does for the simulated cloud).
type Exchange struct {
	SandboxID string
	Time      time.Time
	Duration  time.Duration
	Via       string // "runner" or "panel"
	Step      string
	Service   string // "entra", "arm", "graph", "keyvault", "queue", "webapp"

	Method          string
	URL             string
	RequestHeaders  http.Header
	RequestBody     string
	Status          int
	ResponseHeaders http.Header
	ResponseBody    string

	// Token is the bearer token the request presented (claims decoded
	// before masking); Issued the access token a token endpoint returned.
	Token  Claims
	Issued Claims
	// Code is the error code Azure answered with (ForbiddenByRbac,
	// AuthorizationFailed, AADSTS7000215, …), "" on success.
	Code string
	// Err is the transport error when no answer came.
	Err string
}

// Recorder receives every exchange of a sandbox's runner and panel.
type Recorder interface {
	Record(ctx context.Context, ex *Exchange) error
}

// Origin says whose traffic a request is.
type Origin struct {
	SandboxID string
	Via       string
	Step      string
	// Server is set for the server's own identity's calls (panel changes):
	// their token is not decoded into the trace, so the operator's
	// identity does not show in a learner's trace.
	Server bool
}

type originKey struct{}

// WithOrigin labels the requests made with ctx.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// Recording wraps a real network transport: every request made with an
// Origin in its context is recorded, whole, with its answer.
type Recording struct {
	Base     http.RoundTripper
	Recorder Recorder
	Clock    Clock
	// Origin, when set, labels requests whose context carries none (the
	// runner's SDK clients keep the transport they were built with).
	Origin func() (Origin, bool)
}

// maxRecorded bounds how much of a body is kept (the book truncates
// further); the request itself always goes out whole.
const maxRecorded = 1 << 20

func (t *Recording) RoundTrip(req *http.Request) (*http.Response, error) {
	o, ok := req.Context().Value(originKey{}).(Origin)
	if !ok && t.Origin != nil {
		o, ok = t.Origin()
	}
	if !ok || o.SandboxID == "" {
		return t.Base.RoundTrip(req)
	}
	ex := &Exchange{SandboxID: o.SandboxID, Via: o.Via, Step: o.Step, Time: t.Clock.Now(),
		Method: req.Method, URL: req.URL.String(), RequestHeaders: req.Header.Clone(), Service: serviceOf(req.URL.Hostname())}
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.RequestBody = string(b[:min(len(b), maxRecorded)])
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	if !o.Server {
		if h := req.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			ex.Token = DecodeToken(strings.TrimSpace(h[7:]))
		}
	}
	start := time.Now()
	resp, err := t.Base.RoundTrip(req)
	ex.Duration = time.Since(start)
	if err != nil {
		ex.Err = err.Error()
		_ = t.Recorder.Record(req.Context(), ex)
		return nil, err
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if rerr != nil {
		ex.Err = rerr.Error()
	}
	ex.Status, ex.ResponseHeaders = resp.StatusCode, resp.Header.Clone()
	ex.ResponseBody = string(b[:min(len(b), maxRecorded)])
	ex.Code = ErrorCode(resp.StatusCode, resp.Header, b)
	if ex.Service == "entra" && resp.StatusCode == http.StatusOK && !o.Server {
		ex.Issued = issuedToken(b)
	}
	_ = t.Recorder.Record(req.Context(), ex) // a failed write loses a trace line, never the request
	return resp, nil
}

// serviceOf names the service a host belongs to, as the trace and the
// diagram name them.
func serviceOf(host string) string {
	h := strings.ToLower(host)
	switch {
	case strings.HasPrefix(h, "login."):
		return "entra"
	case strings.HasPrefix(h, "management."):
		return "arm"
	case strings.HasPrefix(h, "graph.") || strings.HasPrefix(h, "microsoftgraph."):
		return "graph"
	case strings.Contains(h, ".vault."):
		return "keyvault"
	case strings.Contains(h, ".queue."):
		return "queue"
	case strings.HasSuffix(h, ".azurewebsites.net"):
		return "webapp"
	}
	return ""
}

func issuedToken(body []byte) Claims {
	var r struct {
		AccessToken string `json:"access_token"`
	}
	if jsonUnmarshal(body, &r) != nil {
		return nil
	}
	return DecodeToken(r.AccessToken)
}
