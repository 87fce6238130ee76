package arm

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// audiences ARM accepts in a token's aud.
func audiences() []string {
	return []string{entra.ResourceARM, "https://management.azure.com", "https://management.core.windows.net/", "https://management.core.windows.net"}
}

const audienceList = "'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'"

// caller is an authenticated request: the world it acts in and who it is.
type caller struct {
	w      *world.World
	claims *entra.Claims
}

// client names the caller as ARM's AuthorizationFailed message does: the
// user's UPN, else the application ID.
func (c *caller) client() string {
	switch {
	case c.claims.UPN != "":
		return c.claims.UPN
	case c.claims.AppID != "":
		return c.claims.AppID
	}
	return c.claims.OID
}

// authorize asks the world's RBAC about the caller, records the decision and
// returns ARM's 403 when denied. msgScope is the path ARM names in its
// message (the resource addressed); scope is what RBAC evaluates.
func (c *caller) authorize(r *http.Request, action, scope, msgScope string) *armError {
	d := c.w.Authorize(c.claims.OID, action, false, scope) // read only
	trace.NotesFrom(r.Context()).Authz = d
	if d.Allowed {
		return nil
	}
	return errorf(http.StatusForbidden, "AuthorizationFailed",
		"The client '"+c.client()+"' with object id '"+c.claims.OID+"' does not have authorization to perform action '"+
			action+"' over scope '"+msgScope+"' or the scope is invalid. If access was recently granted, please refresh your credentials.")
}

// canRead reports whether the caller may read at scope, without recording a
// decision (list filtering).
func (c *caller) canRead(action, scope string) bool {
	return c.w.Authorize(c.claims.OID, action, false, scope).Allowed
}

// bearer extracts the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (raw string, present, wellFormed bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false, false
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", true, false
	}
	return strings.TrimSpace(tok), true, true
}

func unauthorized(rw http.ResponseWriter, tenant, code, message, description string) {
	rw.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/`+tenant+
		`", error="invalid_token", error_description="`+description+`"`)
	writeError(rw, errorf(http.StatusUnauthorized, code, message))
}

// authenticate validates the caller's token against the world it belongs to
// (its tid; else the subscription's world) and checks that the subscription
// in the path, if any, is of the same tenant. It writes the 401 itself.
func (s *Service) authenticate(rw http.ResponseWriter, r *http.Request, subW *world.World) (*caller, bool) {
	notes := trace.NotesFrom(r.Context())
	fail := func(tenant, code, msg, desc string) (*caller, bool) {
		notes.Authn = &trace.Authn{OK: false, Code: code, Reason: msg}
		unauthorized(rw, tenant, code, msg, desc)
		return nil, false
	}
	challengeTenant := "common"
	if subW != nil {
		challengeTenant = subW.TenantID()
		notes.SandboxID = subW.ID()
	}
	raw, present, ok := bearer(r)
	if !present {
		return fail(challengeTenant, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
			"The authentication failed because of missing 'Authorization' header.")
	}
	if !ok {
		return fail(challengeTenant, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.",
			"The authentication failed because of invalid 'Authorization' header.")
	}
	tok := trace.DecodeJWT(raw)
	notes.Token = tok
	var w *world.World
	if tok != nil {
		if tid, _ := tok.Claims["tid"].(string); tid != "" {
			w = s.reg.ByTenant(tid)
		}
	}
	if w == nil {
		w = subW
	}
	if w == nil {
		return fail(challengeTenant, "InvalidAuthenticationToken", "The access token is invalid.", "The access token is invalid.")
	}
	// The trace belongs to the caller's sandbox, never to the one it addressed.
	notes.SandboxID = w.ID()
	claims, verr := s.v.Validate(raw, w, audiences()...)
	if verr != nil {
		code, msg := validationMessage(verr, claims, w)
		desc := msg
		if code == "InvalidAuthenticationToken" {
			desc = "The access token is invalid."
		}
		notes.Authn = &trace.Authn{OK: false, Code: code, Reason: msg + " (" + verr.Detail + ")"}
		if claims != nil {
			notes.Authn.Subject = claims.Caller()
		}
		unauthorized(rw, w.TenantID(), code, msg, desc)
		return nil, false
	}
	if subW != nil && subW != w {
		msg := wrongTenant(claims.Iss, subW.TenantID())
		notes.Authn = &trace.Authn{OK: false, Subject: claims.Caller(), Code: "InvalidAuthenticationTokenTenant",
			Reason: "the token is from tenant " + claims.TID + ", but the subscription belongs to another tenant"}
		unauthorized(rw, subW.TenantID(), "InvalidAuthenticationTokenTenant", msg, msg)
		return nil, false
	}
	notes.Authn = &trace.Authn{OK: true, Subject: claims.Caller(),
		Reason: "valid token for https://management.azure.com/ issued by tenant " + claims.TID}
	return &caller{w: w, claims: claims}, true
}

func wrongTenant(iss, tenant string) string {
	return "The access token is from the wrong issuer '" + iss + "'. It must match the tenant 'https://sts.windows.net/" + tenant +
		"/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/" + tenant +
		"' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later."
}

// validationMessage words a token failure as ARM does.
func validationMessage(verr *entra.ValidationError, c *entra.Claims, w *world.World) (code, msg string) {
	const layout = "1/2/2006 3:04:05 PM"
	switch verr.Kind {
	case entra.InvalidLifetime:
		now := w.Now()
		if c != nil && !c.Expires.IsZero() && now.After(c.Expires) {
			return "ExpiredAuthenticationToken", "The access token expiry UTC time '" + c.Expires.UTC().Format(layout) +
				"' is earlier than current UTC time '" + now.UTC().Format(layout) + "'."
		}
		if c != nil && !c.NotBefore.IsZero() {
			return "InvalidAuthenticationToken", "The access token is not yet valid. It is valid from UTC time '" +
				c.NotBefore.UTC().Format(layout) + "'; current UTC time is '" + now.UTC().Format(layout) + "'."
		}
	case entra.InvalidAudience:
		return "InvalidAuthenticationToken", "The access token has been obtained for wrong audience or resource '" + verr.Found +
			"'. It should exactly match with one of the allowed audiences " + audienceList + "."
	case entra.InvalidIssuer:
		return "InvalidAuthenticationTokenTenant", wrongTenant(verr.Found, w.TenantID())
	}
	return "InvalidAuthenticationToken", "The access token is invalid."
}

// principalExists looks a principal up by object ID (case-insensitive).
func principalExists(w *world.World, oid string) (p world.Principal, ok bool) {
	w.View(func(s *world.State) {
		if pp, found := s.Principals[strings.ToLower(oid)]; found {
			p, ok = *pp, true
			return
		}
		for id, pp := range s.Principals {
			if strings.EqualFold(id, oid) {
				p, ok = *pp, true
				return
			}
		}
	})
	return p, ok
}
