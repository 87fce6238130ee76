// Package queue simulates Azure Queue Storage at
// {account}.queue.core.windows.net: queues and messages with Azure's XML
// bodies, headers and error codes, Entra bearer tokens checked against RBAC
// data actions, and Shared Key (the account key) as the contrast that
// bypasses RBAC.
package queue

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// tokenValidator checks bearer tokens (entra.Validator in production).
type tokenValidator interface {
	Validate(raw string, w *world.World, audiences ...string) (*entra.Claims, *entra.ValidationError)
}

// Service is the Queue service of every storage account in a registry.
type Service struct {
	reg    *world.Registry
	tokens tokenValidator
	// newID makes message and request IDs; newReceipt makes pop receipts.
	// Tests replace them for golden files.
	newID      func() string
	newReceipt func() string
	limits     Limits
}

// Limits bound what a sandbox may keep in its queues: every message is part
// of the sandbox's stored state, so an unbounded queue would make every
// write slower and the server's memory and database grow without end.
// Azure's own limit is the account's capacity (500 TiB); these are the
// sandbox's, refused with 409 QueueQuotaExceeded. Zero means the default.
type Limits struct {
	MessagesPerQueue   int
	BytesPerQueue      int
	MessagesPerSandbox int
	BytesPerSandbox    int
}

// Default limits: ample for every lesson, small enough that 100 learners'
// queues fit in memory and a save stays fast.
const (
	DefaultMessagesPerQueue   = 1000
	DefaultBytesPerQueue      = 1 << 20
	DefaultMessagesPerSandbox = 2000
	DefaultBytesPerSandbox    = 2 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MessagesPerQueue <= 0 {
		l.MessagesPerQueue = DefaultMessagesPerQueue
	}
	if l.BytesPerQueue <= 0 {
		l.BytesPerQueue = DefaultBytesPerQueue
	}
	if l.MessagesPerSandbox <= 0 {
		l.MessagesPerSandbox = DefaultMessagesPerSandbox
	}
	if l.BytesPerSandbox <= 0 {
		l.BytesPerSandbox = DefaultBytesPerSandbox
	}
	return l
}

// New returns the Queue service for the storage accounts in reg, validating
// bearer tokens with v.
func New(reg *world.Registry, v *entra.Validator, limits Limits) *Service {
	return &Service{reg: reg, tokens: v, newID: world.NewGUID, newReceipt: newPopReceipt, limits: limits.withDefaults()}
}

// newPopReceipt returns an opaque receipt shaped like Azure's (base64 of 20
// bytes, e.g. "AgAAAAMAAAAAAAAAtq7R4b9K2gE=").
func newPopReceipt() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// AccountName returns the storage account addressed by host ("" when host is
// not a queue endpoint).
func AccountName(host string) string {
	return service.HostName(host, service.SuffixQueue)
}

// call is one request in flight.
type call struct {
	s       *Service
	rw      http.ResponseWriter
	r       *http.Request
	notes   *trace.Notes
	w       *world.World
	account string // the account's name as stored
	now     time.Time
	reqID   string
	version string // x-ms-version when well-formed

	queue string // path segments
	msgID string
	level level

	q url.Values // the query, parsed once (query)
}

// query is the request's query, parsed on first use: the operation's
// resolution and its handler both read it.
func (c *call) query() url.Values {
	if c.q == nil {
		c.q = c.r.URL.Query()
	}
	return c.q
}

// level is what the path addresses.
type level int

const (
	levelService level = iota
	levelQueue
	levelMessages
	levelMessage
)

// ServeHTTP serves one Queue REST request.
func (s *Service) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	r = canonicalRequest(r)
	c := &call{s: s, rw: rw, r: r, notes: trace.NotesFrom(r.Context()), reqID: s.newID()}
	if v := r.Header.Get("x-ms-version"); validVersion(v) {
		c.version = v // echoed on every response, errors included
	}
	name := AccountName(r.Host)
	c.w = s.reg.ByName(world.NameStorage, name)
	if c.w != nil {
		c.w.View(func(st *world.State) {
			if a := st.StorageAccount(name); a != nil {
				c.account = a.Name
			}
		})
	}
	if c.account == "" {
		// Azure's DNS would not resolve the name; answer as a storage front
		// end that does not know the resource.
		c.now = s.reg.Clock().Now()
		c.fail(newError(http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist."))
		return
	}
	c.notes.SandboxID = c.w.ID()
	c.now = c.w.Now()
	if e := c.serve(); e != nil {
		c.fail(e)
	}
}

func (c *call) serve() *storageError {
	if e := c.checkVersion(); e != nil {
		return e
	}
	auth, e := c.authenticate()
	if e != nil {
		return e
	}
	if e := c.parsePath(); e != nil {
		return e
	}
	op, e := c.resolve()
	if e != nil {
		return e
	}
	if c.level != levelService {
		if e := checkQueueName(c.queue); e != nil {
			return e
		}
	}
	if auth.claims != nil {
		if e := c.authorize(op, auth.claims); e != nil {
			return e
		}
	}
	return op.run(c)
}

// checkVersion enforces x-ms-version. Bearer requests need 2017-11-09 or
// later; Azure then answers 403 AuthenticationFailed, not a header error.
func (c *call) checkVersion() *storageError {
	if v := c.r.Header.Get("x-ms-version"); v != "" && !validVersion(v) {
		return newError(http.StatusBadRequest, "InvalidHeaderValue", msgInvalidHeader,
			field{"HeaderName", "x-ms-version"}, field{"HeaderValue", v})
	}
	scheme, _, _ := strings.Cut(strings.TrimSpace(c.r.Header.Get("Authorization")), " ")
	if strings.EqualFold(scheme, "Bearer") && (c.version == "" || c.version < minBearerVersion) {
		return newError(http.StatusForbidden, "AuthenticationFailed", msgAuthFailed,
			field{"AuthenticationErrorDetail", "Authentication scheme Bearer is not supported in this version."})
	}
	if c.version == "" {
		return newError(http.StatusBadRequest, "MissingRequiredHeader", msgMissingHeader,
			field{"HeaderName", "x-ms-version"})
	}
	return nil
}

func validVersion(v string) bool {
	_, err := time.Parse("2006-01-02", v)
	return err == nil
}

// Versions that change behaviour.
const (
	minBearerVersion    = "2017-11-09"
	minChallengeVersion = "2019-12-12"
)

// parsePath splits /{queue}/messages/{id}.
func (c *call) parsePath() *storageError {
	p := strings.Trim(c.r.URL.Path, "/")
	if p == "" {
		c.level = levelService
		return nil
	}
	parts := strings.Split(p, "/")
	c.queue = parts[0]
	switch {
	case len(parts) == 1:
		c.level = levelQueue
	case len(parts) == 2 && parts[1] == "messages":
		c.level = levelMessages
	case len(parts) == 3 && parts[1] == "messages" && parts[2] != "":
		c.level, c.msgID = levelMessage, parts[2]
	default:
		return newError(http.StatusBadRequest, "InvalidUri", msgInvalidURI)
	}
	return nil
}

// setCommon sets the headers every response carries.
func (c *call) setCommon() {
	// Keys in their canonical form, as Set would write them, without
	// canonicalizing each on every response.
	h := c.rw.Header()
	h["X-Ms-Request-Id"] = []string{c.reqID}
	if c.version != "" {
		h["X-Ms-Version"] = []string{c.version}
	}
	if id := c.r.Header.Get("x-ms-client-request-id"); id != "" && len(id) <= 1024 {
		h["X-Ms-Client-Request-Id"] = []string{id}
	}
	h["Server"] = []string{"Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0"}
	h["Date"] = []string{httpTime(c.now)}
}

// fail writes e as Azure's XML error.
func (c *call) fail(e *storageError) {
	c.setCommon()
	body := errorBody(e, c.reqID, c.now.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	h := c.rw.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("x-ms-error-code", e.code)
	h.Set("Content-Length", itoa(len(body)))
	c.rw.WriteHeader(e.status)
	if c.r.Method != http.MethodHead {
		_, _ = c.rw.Write(body)
	}
}

// reply writes a success response with an optional XML body.
func (c *call) reply(status int, body []byte) *storageError {
	c.setCommon()
	h := c.rw.Header()
	if body != nil {
		h.Set("Content-Type", "application/xml")
	}
	h.Set("Content-Length", itoa(len(body)))
	c.rw.WriteHeader(status)
	if body != nil && c.r.Method != http.MethodHead {
		_, _ = c.rw.Write(body)
	}
	return nil
}

// httpTime formats t as RFC 1123 in GMT, as Azure Storage does.
func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// writeHTTPTime writes httpTime(t) without a string of its own.
func writeHTTPTime(b *strings.Builder, t time.Time) {
	var buf [len(http.TimeFormat) + 4]byte
	b.Write(t.UTC().AppendFormat(buf[:0], http.TimeFormat))
}

// canonicalRequest returns r with canonical header keys. The SDKs set some
// headers with lower-case keys (x-ms-version, x-ms-meta-*); a network server
// canonicalizes them, an in-process transport may not.
func canonicalRequest(r *http.Request) *http.Request {
	var fixed http.Header
	for k := range r.Header {
		if k != http.CanonicalHeaderKey(k) {
			fixed = make(http.Header, len(r.Header))
			break
		}
	}
	if fixed == nil {
		return r
	}
	for k, v := range r.Header {
		ck := http.CanonicalHeaderKey(k)
		fixed[ck] = append(fixed[ck], v...)
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = fixed
	return r2
}
