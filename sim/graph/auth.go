package graph

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// audiences Graph accepts: the v1 resource URL, with or without the slash,
// and Graph's app ID.
var audiences = []string{entra.ResourceGraph, entra.ResourceGraph + "/", entra.GraphAppID}

// authenticate validates the bearer token and finds the world of its
// tenant (Graph is one global endpoint: the token says which directory).
func (s *Service) authenticate(r *http.Request, notes *trace.Notes) (*world.World, *entra.Claims, *apiError) {
	raw, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		notes.Authn = &trace.Authn{OK: false, Code: codeInvalidToken,
			Reason: "The request carried no bearer token. Microsoft Graph needs a token for https://graph.microsoft.com."}
		return nil, nil, errorf(http.StatusUnauthorized, codeInvalidToken, "Access token is empty.")
	}
	notes.Token = trace.DecodeJWT(raw)
	tid := claim(notes.Token, "tid")
	w := s.reg.ByTenant(tid)
	if w == nil {
		notes.Authn = &trace.Authn{OK: false, Subject: subjectOf(notes.Token), Code: codeInvalidToken,
			Reason: "The token names no tenant this sandbox's Entra ID knows (tid " + quoted(tid) + "), so Graph cannot validate it."}
		return nil, nil, errorf(http.StatusUnauthorized, codeInvalidToken, "Access token validation failure. Invalid audience.")
	}
	notes.SandboxID = w.ID()
	claims, verr := s.validator.Validate(raw, w, audiences...)
	if verr != nil {
		msg, reason := describe(verr)
		notes.Authn = &trace.Authn{OK: false, Subject: subjectOf(notes.Token), Code: codeInvalidToken, Reason: reason}
		return w, nil, errorf(http.StatusUnauthorized, codeInvalidToken, msg)
	}
	notes.Authn = &trace.Authn{OK: true, Subject: claims.Caller(),
		Reason: "The token is signed by the sandbox's Entra ID, issued by the caller's tenant, meant for https://graph.microsoft.com and not expired."}
	return w, claims, nil
}

// describe words a validation failure as Graph does.
func describe(e *entra.ValidationError) (msg, reason string) {
	switch e.Kind {
	case entra.InvalidAudience:
		return "Access token validation failure. Invalid audience.",
			"The token was issued for " + e.Found + ", not for Microsoft Graph. Ask for a token with the scope https://graph.microsoft.com/.default."
	case entra.InvalidLifetime:
		return "Lifetime validation failed, the token is expired.",
			"The token is outside its validity window (" + e.Detail + ")."
	case entra.InvalidIssuer:
		return "Access token validation failure. Invalid issuer.",
			"The token was issued by another tenant (" + e.Found + ")."
	case entra.InvalidSignature, entra.InvalidAlgorithm:
		return "Access token validation failure. Invalid signature.",
			"The token's signature does not verify against the keys Entra ID publishes (" + e.Detail + ")."
	default:
		return "IDX14100: JWT is not well formed, there are no dots (.).",
			"The Authorization header does not hold a well-formed JWT (" + e.Detail + ")."
	}
}

// Directory permissions the handlers need, named as Entra's role
// permissions are.
const (
	permCreateApp    = "microsoft.directory/applications/createAsOwner"
	permReadApp      = "microsoft.directory/applications/standard/read"
	permDeleteApp    = "microsoft.directory/applications/delete"
	permCredentials  = "microsoft.directory/applications/credentials/update"
	permCreateSP     = "microsoft.directory/servicePrincipals/create"
	permReadSP       = "microsoft.directory/servicePrincipals/standard/read"
	permDeleteSP     = "microsoft.directory/servicePrincipals/delete"
	roleAppAdmin     = "Application Administrator"
	deniedMessage    = "Insufficient privileges to complete the operation."
	directoryScope   = "/"
	modelDirectory   = "directoryRole"
	adminLabelsWords = "the sandbox's owner (label owner) and the developer user (label developer)"
)

// adminLabels are the labelled principals that hold Application
// Administrator in the sandbox's directory. Directory roles are modelled
// this simply: no role assignments, no consent.
var adminLabels = []string{scenario.LabelOwner, scenario.LabelDeveloper}

// authorize decides whether the caller holds a directory role granting
// perm, records the decision and returns the 403 to send when it does not.
func authorize(st *world.State, c *entra.Claims, perm string, notes *trace.Notes) *apiError {
	p := st.Principals[c.OID]
	rp := rbac.Principal{ObjectID: c.OID, AppID: c.AppID, Type: "ServicePrincipal"}
	if p != nil {
		rp = rbac.Principal{ObjectID: p.ObjectID, Type: p.Type(), DisplayName: p.DisplayName, AppID: p.AppID}
	}
	allowed := false
	for _, l := range adminLabels {
		if id := st.Labels[l]; id != "" && p != nil && strings.EqualFold(id, p.ObjectID) {
			allowed = true
		}
	}
	d := &rbac.Decision{Model: modelDirectory, Allowed: allowed, Principal: rp, Action: perm, Scope: directoryScope}
	if allowed {
		d.Summary = rp.DisplayName + " holds the " + roleAppAdmin + " directory role, which grants " + perm + "."
	} else {
		d.Summary = "Graph needs a directory role granting " + perm + " (" + roleAppAdmin + "); in this sandbox only " +
			adminLabelsWords + " hold it. Azure RBAC roles such as Owner do not count in the directory."
	}
	notes.Authz = d
	if !allowed {
		return errorf(http.StatusForbidden, codeDenied, deniedMessage)
	}
	return nil
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func claim(t *trace.Token, k string) string {
	if t == nil {
		return ""
	}
	s, _ := t.Claims[k].(string)
	return s
}

func subjectOf(t *trace.Token) string {
	if claim(t, "oid") == "" && claim(t, "appid") == "" {
		return ""
	}
	return "appid=" + claim(t, "appid") + ";oid=" + claim(t, "oid") + ";iss=" + claim(t, "iss")
}

func quoted(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
