package entra

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// refreshLifetime is how long a refresh token lasts (Entra: 90 days).
const refreshLifetime = 90 * 24 * time.Hour

// passwordGrant serves grant_type=password (ROPC): a user signing in as
// themselves, the "run as yourself" case of the lessons.
func (s *Service) passwordGrant(rw http.ResponseWriter, r *http.Request, req *tokenRequest) {
	f := req.form
	for _, name := range []string{"client_id", "username", "password"} {
		if f.Get(name) == "" {
			s.fail(rw, r, req.w, errMissingParam(name), "")
			return
		}
	}
	username := f.Get("username")
	w := req.w
	if w == nil { // /organizations: the user's domain names the tenant
		if i := strings.LastIndex(username, "@"); i >= 0 {
			w = s.resolveTenant(username[i+1:])
		}
		if w == nil {
			s.fail(rw, r, nil, errUserNotFound("common"), "upn="+username)
			return
		}
		req.w = w
	}
	resource, serr := req.resource(false)
	if serr != nil {
		s.fail(rw, r, w, serr, "upn="+username)
		return
	}
	clientID := f.Get("client_id")
	now := w.Now()
	var p world.Principal
	var tenantName string
	serr = nil
	w.View(func(st *world.State) {
		tenantName = st.TenantName
		if !strings.EqualFold(clientID, AzureCLIClientID) {
			if app := st.PrincipalByAppID(clientID); app == nil || app.Kind != world.KindApplication {
				serr = errAppNotFound(clientID, tenantName)
				return
			}
		}
		var u *world.Principal
		for _, c := range st.Principals {
			if c.Kind == world.KindUser && strings.EqualFold(c.UserPrincipalName, username) {
				u = c
			}
		}
		switch {
		case u == nil:
			serr = errUserNotFound(tenantName)
		case !w.CheckSecret(f.Get("password"), u.PasswordHash):
			serr = errBadUserCredentials()
		default:
			p = *u
		}
	})
	subject := "upn=" + username
	if serr != nil {
		s.fail(rw, r, w, serr, subject)
		return
	}
	s.issueUser(rw, r, req, &p, clientID, resource, now, tenantName,
		"User '"+p.UserPrincipalName+"' signed in with a password; issued a token for "+resource+".")
}

func (s *Service) issueUser(rw http.ResponseWriter, r *http.Request, req *tokenRequest, p *world.Principal,
	clientID, resource string, now time.Time, tenantName, reason string) {
	w := req.w
	subject := "upn=" + p.UserPrincipalName + ";oid=" + p.ObjectID
	if _, ok := NormalizeResource(resource); !ok {
		s.fail(rw, r, w, errResourceNotFound(resource, tenantName), subject)
		return
	}
	tok, err := s.iss.issue(w, p, IssueOptions{Resource: resource, Now: now, ClientID: clientID})
	if err != nil {
		s.fail(rw, r, w, errResourceNotFound(resource, tenantName), subject)
		return
	}
	idt, err := s.iss.IssueIDToken(w, p, clientID, now)
	if err != nil {
		s.fail(rw, r, w, errResourceNotFound(resource, tenantName), subject)
		return
	}
	extra := map[string]any{
		"refresh_token": newRefreshToken(w, refreshPayload{OID: p.ObjectID, Client: clientID, Exp: now.Add(refreshLifetime).Unix()}),
		"id_token":      idt,
	}
	if req.form.Get("client_info") == "1" {
		extra["client_info"] = clientInfo(p.ObjectID, w.TenantID())
	}
	s.succeed(rw, r, w, req, tok, now, resource, subject, reason, extra)
}

// refreshPayload is what a refresh token stands for. Refresh tokens are
// opaque to clients; the sim makes them self-contained (payload + keyed hash
// with the world's secret key) so nothing has to be stored.
type refreshPayload struct {
	OID    string `json:"oid"`
	Client string `json:"cid"`
	Exp    int64  `json:"exp"`
}

func newRefreshToken(w *world.World, p refreshPayload) string {
	b, _ := json.Marshal(p)
	body := base64.RawURLEncoding.EncodeToString(b)
	return "1.A" + body + "." + w.HashSecret("rt:"+body)
}

func parseRefreshToken(w *world.World, rt string) (refreshPayload, bool) {
	var p refreshPayload
	rest, ok := strings.CutPrefix(rt, "1.A")
	if !ok {
		return p, false
	}
	body, mac, ok := strings.Cut(rest, ".")
	if !ok || !w.CheckSecret("rt:"+body, mac) {
		return p, false
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || json.Unmarshal(b, &p) != nil {
		return p, false
	}
	return p, true
}

// refreshGrant serves grant_type=refresh_token for tokens the password grant
// issued, so MSAL's silent refresh of a user token works.
func (s *Service) refreshGrant(rw http.ResponseWriter, r *http.Request, req *tokenRequest) {
	w, f := req.w, req.form
	if w == nil {
		s.fail(rw, r, nil, errNoTenantInfo(), "")
		return
	}
	for _, name := range []string{"client_id", "refresh_token"} {
		if f.Get(name) == "" {
			s.fail(rw, r, w, errMissingParam(name), "")
			return
		}
	}
	bad := &stsError{http.StatusBadRequest, "invalid_grant", 9002313,
		"Invalid request. Request is malformed or invalid.", "The refresh token was not issued by this tenant or was altered."}
	rp, ok := parseRefreshToken(w, f.Get("refresh_token"))
	if !ok || !strings.EqualFold(rp.Client, f.Get("client_id")) {
		s.fail(rw, r, w, bad, "")
		return
	}
	now := w.Now()
	if now.Unix() > rp.Exp {
		s.fail(rw, r, w, &stsError{http.StatusBadRequest, "invalid_grant", 700082,
			"The refresh token has expired due to inactivity.", "The refresh token is older than 90 days (sandbox time)."}, "oid="+rp.OID)
		return
	}
	resource, serr := req.resource(false)
	if serr != nil {
		s.fail(rw, r, w, serr, "oid="+rp.OID)
		return
	}
	var p world.Principal
	var tenantName string
	found := false
	w.View(func(st *world.State) {
		tenantName = st.TenantName
		if u := st.Principals[rp.OID]; u != nil && u.Kind == world.KindUser {
			p, found = *u, true
		}
	})
	if !found {
		s.fail(rw, r, w, errUserNotFound(tenantName), "oid="+rp.OID)
		return
	}
	s.issueUser(rw, r, req, &p, rp.Client, resource, now, tenantName,
		"User '"+p.UserPrincipalName+"' refreshed a token for "+resource+".")
}
