package entra

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// maxFormBytes bounds a token request body; real ones are under 10 KB.
const maxFormBytes = 64 << 10

// oidcScopes are the scopes MSAL adds to every request; they name no
// resource and are ignored when choosing the token's audience.
func isOIDCScope(s string) bool {
	switch strings.ToLower(s) {
	case "openid", "offline_access", "profile", "email":
		return true
	}
	return false
}

// tokenRequest is one parsed POST to the token endpoint.
type tokenRequest struct {
	w    *world.World
	form url.Values
	v1   bool // /oauth2/token: resource instead of scope, string numbers
}

// token serves POST /{tenant}/oauth2/v2.0/token (and the v1 /oauth2/token).
func (s *Service) token(rw http.ResponseWriter, r *http.Request, tenant string, v1 bool) {
	var w *world.World
	if !isCommon(tenant) {
		if w = s.resolveTenant(tenant); w == nil {
			s.fail(rw, r, nil, errTenantNotFound(tenant), "")
			return
		}
		trace.NotesFrom(r.Context()).SandboxID = w.ID()
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(rw, r, w, errMalformedBody(), "")
		return
	}
	req := &tokenRequest{w: w, form: r.PostForm, v1: v1}
	if id, secret, ok := r.BasicAuth(); ok { // client_secret_basic
		if u, err := url.QueryUnescape(id); err == nil && req.form.Get("client_id") == "" {
			req.form.Set("client_id", u)
		}
		if p, err := url.QueryUnescape(secret); err == nil && req.form.Get("client_secret") == "" {
			req.form.Set("client_secret", p)
		}
	}
	grant := req.form.Get("grant_type")
	switch grant {
	case "":
		s.fail(rw, r, w, errMissingParam("grant_type"), "")
	case "client_credentials":
		s.clientCredentials(rw, r, req)
	case "password":
		s.passwordGrant(rw, r, req)
	case "refresh_token":
		s.refreshGrant(rw, r, req)
	default:
		s.fail(rw, r, w, errUnsupportedGrant(grant), "")
	}
}

// resourceFromScope picks the one resource a scope parameter names. With
// needDefault (client credentials) the scope must end in /.default.
func (req *tokenRequest) resource(needDefault bool) (string, *stsError) {
	if req.v1 {
		res := req.form.Get("resource")
		if res == "" {
			return "", errMissingParam("resource")
		}
		return res, nil
	}
	raw := req.form.Get("scope")
	if raw == "" {
		return "", errMissingParam("scope")
	}
	var picked []string
	for _, sc := range strings.Fields(raw) {
		if !isOIDCScope(sc) {
			picked = append(picked, sc)
		}
	}
	switch {
	case len(picked) == 0 && needDefault:
		return "", errScopeNoDefault(raw)
	case len(picked) != 1:
		return "", errInvalidScope(raw)
	}
	sc := picked[0]
	if strings.HasSuffix(strings.ToLower(sc), "/.default") {
		return sc[:len(sc)-len("/.default")], nil
	}
	if needDefault {
		return "", errScopeNoDefault(sc)
	}
	// Delegated scopes name a permission of the resource: strip it.
	if i := strings.LastIndex(sc, "/"); i > len("https://") {
		return sc[:i], nil
	}
	return sc, nil
}

func (s *Service) clientCredentials(rw http.ResponseWriter, r *http.Request, req *tokenRequest) {
	w, f := req.w, req.form
	if w == nil {
		s.fail(rw, r, nil, errNoTenantInfo(), "")
		return
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		s.fail(rw, r, w, errMissingParam("client_id"), "")
		return
	}
	resource, serr := req.resource(true)
	if serr != nil {
		s.fail(rw, r, w, serr, "appid="+clientID)
		return
	}
	now := w.Now()
	var (
		p          world.Principal
		found      bool
		tenantName string
		secretName string
	)
	serr = nil
	w.View(func(st *world.State) {
		tenantName = st.TenantName
		sp := st.PrincipalByAppID(clientID)
		if sp == nil || sp.Kind != world.KindApplication {
			serr = errAppNotFound(clientID, tenantName)
			return
		}
		p, found = *sp, true
		secret := f.Get("client_secret")
		switch {
		case secret != "":
			for _, cs := range sp.Secrets {
				if !w.CheckSecret(secret, cs.Hash) {
					continue
				}
				if now.After(cs.EndDate) {
					serr = errExpiredSecret(sp.AppID)
					serr.Reason = "The client secret '" + cs.DisplayName + "' (" + cs.Hint + "…) matches, but it expired on " + cs.EndDate.UTC().Format(time.RFC3339) + " (sandbox time " + now.UTC().Format(time.RFC3339) + ")."
					return
				}
				secretName = cs.DisplayName + " (" + cs.Hint + "…)"
				return
			}
			// No secret matched (the error is built only now: a token
			// that is issued does not pay for its text).
			serr = errBadSecret(sp.AppID)
			if len(sp.Secrets) == 0 {
				serr.Reason = "The app has no client secrets at all."
			}
		case f.Get("client_assertion") != "":
			serr = errAssertion()
		default:
			serr = errNoCredential()
		}
	})
	subject := "appid=" + clientID
	if found {
		subject = "appid=" + p.AppID + ";oid=" + p.ObjectID
	}
	if serr != nil {
		s.fail(rw, r, w, serr, subject)
		return
	}
	if _, ok := NormalizeResource(resource); !ok {
		s.fail(rw, r, w, errResourceNotFound(resource, tenantName), subject)
		return
	}
	tok, err := s.iss.issue(w, &p, IssueOptions{Resource: resource, Now: now, AppIDACR: ACRSecret})
	if err != nil {
		s.fail(rw, r, w, errResourceNotFound(resource, tenantName), subject)
		return
	}
	s.succeed(rw, r, w, req, tok, now, resource, subject,
		"Client secret "+secretName+" of app '"+p.DisplayName+"' matched; issued a token for "+resource+".", nil)
}

// succeed writes a token response and records it.
func (s *Service) succeed(rw http.ResponseWriter, r *http.Request, w *world.World, req *tokenRequest,
	t issued, now time.Time, resource, subject, reason string, extra map[string]any) {
	n := trace.NotesFrom(r.Context())
	n.SandboxID = w.ID()
	n.Authn = &trace.Authn{OK: true, Subject: subject, Reason: reason}
	n.Issued = t.decoded
	tok, exp := t.token, t.exp
	expiresIn := int64(exp.Sub(now.Truncate(time.Second)) / time.Second)
	var body any
	if req.v1 {
		aud, _ := NormalizeResource(resource)
		m := map[string]any{
			"token_type":     "Bearer",
			"expires_in":     strconv.FormatInt(expiresIn, 10),
			"ext_expires_in": strconv.FormatInt(expiresIn, 10),
			"expires_on":     strconv.FormatInt(exp.Unix(), 10),
			"not_before":     strconv.FormatInt(now.Add(-backdate).Unix(), 10),
			"resource":       aud,
			"access_token":   tok,
		}
		for k, v := range extra {
			m[k] = v
		}
		body = m
	} else if extra == nil {
		// No "scope" field: MSAL rejects one that does not echo every
		// requested scope, and Entra leaves it out for client credentials.
		body = &v2TokenBody{AccessToken: tok, ExpiresIn: expiresIn, ExtExpiresIn: expiresIn, TokenType: "Bearer"}
	} else {
		m := map[string]any{
			"token_type":     "Bearer",
			"expires_in":     expiresIn,
			"ext_expires_in": expiresIn,
			"access_token":   tok,
		}
		for k, v := range extra {
			m[k] = v
		}
		body = m
	}
	stsHeaders(rw, r, world.NewGUID())
	writeJSON(rw, http.StatusOK, body)
}

// v2TokenBody is a v2 token answer without extra members (client
// credentials), its members in the sorted order json.Marshal writes the
// map of the other grants in: the same bytes, without sorting a map per
// token.
type v2TokenBody struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	TokenType    string `json:"token_type"`
}

func itoa(n int) string { return strconv.Itoa(n) }

// clientInfo is MSAL's client_info: base64url {"uid","utid"}.
func clientInfo(oid, tid string) string {
	b, _ := json.Marshal(map[string]string{"uid": oid, "utid": tid})
	return base64.RawURLEncoding.EncodeToString(b)
}
