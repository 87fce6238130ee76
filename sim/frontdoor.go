package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// maxCapture is how much of a response body is captured for the trace; it
// is masked first and then cut to trace.MaxBody, so a secret near the cut is
// masked whole.
const maxCapture = trace.MaxBody + 16<<10

// ServeHTTP routes r by host to the owning service and records the exchange
// on the trace of the sandbox it comes from: the runner's, or that of the
// proxy credentials presented. Anonymous traffic is answered as Azure would
// but recorded nowhere: whoever addresses another learner's resource must
// not write into (and so evict from) that learner's trace.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	notes := &trace.Notes{}
	r = r.WithContext(trace.WithNotes(r.Context(), notes))
	reqHeader := r.Header.Clone()
	rec := &recorder{ResponseWriter: w}
	ep, _, routed := service.Lookup(r.Host)
	notes.Service = ep.Service

	body, err := readBody(r, c.maxBody)
	switch {
	case errors.Is(err, errTooLarge):
		writeError(rec, http.StatusRequestEntityTooLarge, "RequestBodyTooLarge",
			"The request body is larger than the simulated cloud accepts ("+strconv.FormatInt(c.maxBody, 10)+" bytes).")
	case err != nil:
		writeError(rec, http.StatusBadRequest, "InvalidRequestBody", "The request body could not be read.")
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		if routed {
			c.handler(ep).ServeHTTP(rec, r)
		} else {
			writeError(rec, http.StatusBadGateway, "HostNotSimulated",
				"host not simulated: "+service.Canonical(r.Host)+" is not part of the sandbox's simulated Azure")
		}
	}
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	c.record(r, notes, reqHeader, body, rec, start)
}

var errTooLarge = errors.New("request body too large")

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	defer r.Body.Close()
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

func (c *Cloud) record(r *http.Request, notes *trace.Notes, reqHeader http.Header, body []byte, rec *recorder, start time.Time) {
	origin := world.OriginFrom(r.Context())
	id := origin.SandboxID
	if id == "" {
		return
	}
	elapsed := time.Since(start)
	simNow := c.reg.Clock().Now()
	if w := c.reg.Get(id); w != nil {
		simNow = w.Now()
	}
	ex := &trace.Exchange{
		SandboxID:       id,
		Time:            start,
		SimTime:         simNow.Add(-elapsed),
		DurationUS:      elapsed.Microseconds(),
		Via:             origin.Via,
		Step:            origin.Step,
		Site:            origin.Site,
		Service:         notes.Service,
		Method:          r.Method,
		URL:             requestURL(r),
		RequestHeaders:  reqHeader,
		RequestBody:     string(body),
		Status:          rec.status,
		ResponseHeaders: rec.sent,
		ResponseBody:    rec.buf.String(),
		Token:           notes.Token,
		Issued:          notes.Issued,
		Authn:           notes.Authn,
		Authz:           notes.Authz,
	}
	if ex.Token == nil {
		ex.Token = c.bearers.decode(reqHeader)
	}
	if ex.Issued == nil && rec.status == http.StatusOK {
		ex.Issued = issuedToken(ex.ResponseBody)
	}
	// The request may be over (client gone); the record must still be kept.
	// Both header maps are this exchange's own clones: masked in place.
	if err := c.book.RecordOwned(context.WithoutCancel(r.Context()), ex); err != nil {
		c.log.Warn("sim: trace not stored", "sandbox", id, "err", err)
	}
}

// requestURL is the URL as the client addressed it.
func requestURL(r *http.Request) string {
	scheme := r.URL.Scheme
	if scheme == "" {
		scheme = "https"
		if r.TLS == nil {
			if ep, _, ok := service.Lookup(r.Host); ok {
				scheme = ep.Scheme()
			}
		}
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

// tokenMemo decodes the token of an "Authorization: Bearer" header for the
// trace, once per token: a client sends the same one for its hour. The
// decoded tokens are shared by the exchanges that carried them (read only).
type tokenMemo struct {
	mu   sync.Mutex
	seen map[string]*trace.Token
}

// maxTokenMemo bounds the memo (about a megabyte of tokens).
const maxTokenMemo = 1024

func (m *tokenMemo) decode(h http.Header) *trace.Token {
	scheme, raw, ok := strings.Cut(h.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil
	}
	m.mu.Lock()
	t, ok := m.seen[raw]
	m.mu.Unlock()
	if ok {
		return t
	}
	t = trace.DecodeJWT(raw)
	if t == nil {
		return nil
	}
	m.mu.Lock()
	if m.seen == nil || len(m.seen) >= maxTokenMemo {
		m.seen = map[string]*trace.Token{}
	}
	m.seen[raw] = t
	m.mu.Unlock()
	return t
}

// issuedToken decodes the access_token of a token endpoint's JSON answer.
func issuedToken(body string) *trace.Token {
	if !strings.Contains(body, `"access_token"`) {
		return nil
	}
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal([]byte(body), &resp) != nil || resp.AccessToken == "" {
		return nil
	}
	return trace.DecodeJWT(resp.AccessToken)
}

// writeError writes the front door's own JSON errors, in ARM's shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	w.Write(b)
}

// recorder passes a response through while keeping a copy for the trace.
// The copy is a strings.Builder sized by the first write (a handler
// usually writes its whole body at once), so the trace's string is the
// capture itself: no regrowing, no second copy.
type recorder struct {
	http.ResponseWriter
	status int
	sent   http.Header
	buf    strings.Builder
}

func (w *recorder) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	w.sent = w.ResponseWriter.Header().Clone()
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if room := maxCapture - w.buf.Len(); room > 0 {
		p := p[:min(len(p), room)]
		if w.buf.Cap() == 0 {
			w.buf.Grow(len(p))
		}
		w.buf.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
