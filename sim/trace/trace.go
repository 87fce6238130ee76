// Package trace records every exchange with the simulated cloud: the request
// and response as the wire saw them (secrets masked), the token presented, and
// the authentication and authorization decisions the cloud made.
package trace

import (
	"context"
	"net/http"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// Exchange is one recorded HTTP request/response with the sim.
type Exchange struct {
	Seq       int64     `json:"seq"`
	SandboxID string    `json:"sandboxId"`
	Time      time.Time `json:"time"` // real time the request arrived
	// SimTime is the sandbox clock's time at the request.
	SimTime    time.Time `json:"simTime"`
	DurationUS int64     `json:"durationMicros"`
	Via        string    `json:"via"`            // "runner" or "proxy"
	Step       string    `json:"step,omitempty"` // lesson step marker
	Site       string    `json:"site,omitempty"` // where the code ran ("" = workstation)
	// Service is which part of the sim answered, "" when none did.
	Service service.Name `json:"service"`

	Method          string      `json:"method"`
	URL             string      `json:"url"`
	RequestHeaders  http.Header `json:"requestHeaders"`
	RequestBody     string      `json:"requestBody,omitempty"`
	Status          int         `json:"status"`
	ResponseHeaders http.Header `json:"responseHeaders"`
	ResponseBody    string      `json:"responseBody,omitempty"`

	// Token is the bearer token the request presented, decoded.
	Token *Token `json:"token,omitempty"`
	// Issued is the access token the response issued (token endpoints).
	Issued *Token `json:"issued,omitempty"`
	// Authn is the resource server's verdict on the presented token or the
	// token service's verdict on the client's credentials.
	Authn *Authn `json:"authn,omitempty"`
	// Authz is the authorization decision, when one was made.
	Authz *rbac.Decision `json:"authz,omitempty"`
}

// Token is a decoded JWT (the signature is never kept). A Token is shared
// read-only by whatever holds it (the trace, the store's encoder).
type Token struct {
	Header map[string]any `json:"header"`
	Claims map[string]any `json:"claims"`
	// encoded is the token's JSON when its maker wrote it (NewToken).
	encoded []byte
}

// NewToken returns the token of header and claims whose JSON, byte for byte
// what json.Marshal writes for it, is encoded. A token service that has
// just built the claims writes that JSON far cheaper than json.Marshal
// walks and sorts the maps, once per token; the trace's store then writes
// it as it is. The maker's tests hold encoded to json.Marshal.
func NewToken(header, claims map[string]any, encoded []byte) *Token {
	return &Token{Header: header, Claims: claims, encoded: encoded}
}

// JSON is the token's JSON as json.Marshal writes it, when its maker gave
// it to NewToken; nil otherwise. The caller must not modify it.
func (t *Token) JSON() []byte { return t.encoded }

// Authn is an authentication verdict.
type Authn struct {
	OK bool `json:"ok"`
	// Subject says who was authenticated or who tried, e.g. "appid=…;oid=…".
	Subject string `json:"subject,omitempty"`
	// Code is Azure's error code when it failed (e.g. "AADSTS7000215",
	// "AKV10022", "InvalidAuthenticationInfo").
	Code string `json:"code,omitempty"`
	// Reason is the plain-words explanation.
	Reason string `json:"reason,omitempty"`
}

// Notes is what a service handler tells the recorder about the exchange it is
// serving. The front door puts one in each request's context.
type Notes struct {
	// SandboxID is the sandbox that owns the addressed resource, set by the
	// service when it resolved one.
	SandboxID string
	// Service is set by the front door from the host.
	Service service.Name
	Token   *Token
	Issued  *Token
	Authn   *Authn
	Authz   *rbac.Decision
}

type notesKey struct{}

// WithNotes returns a context carrying n.
func WithNotes(ctx context.Context, n *Notes) context.Context {
	return context.WithValue(ctx, notesKey{}, n)
}

// NotesFrom returns the request's notes. It never returns nil: outside the
// front door (unit tests) the notes go nowhere.
func NotesFrom(ctx context.Context) *Notes {
	if n, ok := ctx.Value(notesKey{}).(*Notes); ok && n != nil {
		return n
	}
	return &Notes{}
}
