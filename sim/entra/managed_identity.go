package entra

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// AppServiceIdentityEndpoint is the IDENTITY_ENDPOINT the sim gives code
// running on a site. It is a link-local address like App Service's own (its
// sandboxes use 169.254.x.x:8081), so it never collides with a real host;
// the front door routes its host to AppService(). Its port is
// service.PortAppServiceIdentity (a test holds the two together).
const AppServiceIdentityEndpoint = "http://" + service.HostAppServiceIdentity + ":8081/msi/token"

// imdsPath is the IMDS token path.
const imdsPath = "/metadata/identity/oauth2/token"

// AppServiceAPIVersion is the App Service identity protocol version MSAL uses.
const AppServiceAPIVersion = "2019-08-01"

// ManagedIdentity serves the managed-identity token endpoints: IMDS and App
// Service's local identity endpoint.
type ManagedIdentity struct {
	reg *world.Registry
	iss *Issuer

	// RunnerLifetime, when positive, caps the lifetime of tokens for
	// requests whose origin is the in-process runner. msal-go caches
	// managed-identity tokens in one package-level cache keyed only by
	// identity kind and resource, so two learners' system-assigned
	// identities in one process would share a token; MSAL never caches a
	// token valid for 5 minutes or less, so a cap of 5 minutes makes every
	// GetToken reach the sim. Zero keeps Entra's 24 hours.
	RunnerLifetime time.Duration

	// headers caches identity header → site name and world; SiteByIdentityHeader
	// scans every world, and App Service calls happen on every token refresh.
	headers sync.Map // string → siteRef
}

type siteRef struct {
	w    *world.World
	site string
}

// NewManagedIdentity returns the managed-identity endpoints issuing with iss.
func NewManagedIdentity(reg *world.Registry, iss *Issuer) *ManagedIdentity {
	return &ManagedIdentity{reg: reg, iss: iss}
}

// IMDSReachable reports whether code at origin o can reach IMDS: only code
// running on a compute resource can. A front door should fail the connection
// (not answer) for other origins, as a workstation's IMDS call times out;
// IMDS() itself answers them "Identity not found".
func IMDSReachable(o world.Origin) bool { return o.Site != "" }

// miSelector is the identity a request asks for.
type miSelector struct {
	param, value string // param is "" for the default identity
}

// miResult is an issued managed-identity token.
type miResult struct {
	w        *world.World
	p        world.Principal
	site     string
	token    string
	decoded  *trace.Token // token as the trace shows it
	exp, now time.Time
	aud      string
}

// miFailure is a selection or issuance failure, phrased per endpoint by the
// caller.
type miFailure struct {
	kind   string // "notfound", "multiple", "resource"
	reason string
	tenant string
}

// issue selects the site's identity and signs a token for it.
func (m *ManagedIdentity) issue(w *world.World, siteName string, sel miSelector, resource string, o world.Origin) (*miResult, *miFailure) {
	now := w.Now()
	var (
		cands      []world.Principal
		tenantName string
		siteFound  bool
	)
	w.View(func(st *world.State) {
		tenantName = st.TenantName
		site := st.Site(siteName)
		if site == nil {
			return
		}
		siteFound = true
		if p := st.Principals[site.SystemIdentity]; p != nil && site.SystemIdentity != "" {
			cands = append(cands, *p)
		}
		for _, id := range site.UserIdentities {
			if p := st.Principals[id]; p != nil {
				cands = append(cands, *p)
			}
		}
	})
	if !siteFound {
		return nil, &miFailure{kind: "notfound", reason: "The site '" + siteName + "' no longer exists.", tenant: tenantName}
	}
	var chosen *world.Principal
	switch sel.param {
	case "":
		for i := range cands {
			if cands[i].Kind == world.KindSystemAssigned {
				chosen = &cands[i]
			}
		}
		if chosen == nil && len(cands) == 1 {
			chosen = &cands[0]
		}
		if chosen == nil && len(cands) > 1 {
			return nil, &miFailure{kind: "multiple", reason: "The site has several user-assigned identities and no system-assigned one; the request must say which.", tenant: tenantName}
		}
		if chosen == nil {
			return nil, &miFailure{kind: "notfound", reason: "The site '" + siteName + "' has no managed identity turned on.", tenant: tenantName}
		}
	default:
		for i := range cands {
			c := &cands[i]
			var v string
			switch sel.param {
			case "client_id":
				v = c.AppID
			case "object_id", "principal_id":
				v = c.ObjectID
			default: // msi_res_id, mi_res_id
				v = c.ResourceID
			}
			if v != "" && strings.EqualFold(v, sel.value) {
				chosen = c
			}
		}
		if chosen == nil {
			return nil, &miFailure{kind: "notfound", reason: "No identity with " + sel.param + " '" + sel.value + "' is assigned to the site '" + siteName + "'.", tenant: tenantName}
		}
	}
	aud, ok := NormalizeResource(resource)
	if !ok {
		return nil, &miFailure{kind: "resource", reason: "The resource '" + resource + "' is not one the sandbox knows (Key Vault, Storage, ARM).", tenant: tenantName}
	}
	lifetime := LifetimeManagedIdentity
	if m.RunnerLifetime > 0 && o.Via == "runner" && m.RunnerLifetime < lifetime {
		lifetime = m.RunnerLifetime
	}
	t, err := m.iss.issue(w, chosen, IssueOptions{Resource: aud, Now: now, Lifetime: lifetime})
	if err != nil {
		return nil, &miFailure{kind: "resource", reason: err.Error(), tenant: tenantName}
	}
	return &miResult{w: w, p: *chosen, site: siteName, token: t.token, decoded: t.decoded, exp: t.exp,
		now: now.Truncate(time.Second), aud: aud}, nil
}

func (m *ManagedIdentity) note(r *http.Request, w *world.World, res *miResult, f *miFailure, code string) {
	n := trace.NotesFrom(r.Context())
	if w != nil {
		n.SandboxID = w.ID()
	}
	if res != nil {
		kind := "system-assigned"
		if res.p.Kind == world.KindUserAssigned {
			kind = "user-assigned"
		}
		n.Authn = &trace.Authn{OK: true, Subject: "appid=" + res.p.AppID + ";oid=" + res.p.ObjectID,
			Reason: "Code on site '" + res.site + "' asked for its " + kind + " identity; issued a token for " + res.aud + "."}
		n.Issued = res.decoded
		return
	}
	n.Authn = &trace.Authn{OK: false, Code: code, Reason: f.reason}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// IMDS returns the handler of http://169.254.169.254/metadata/identity/oauth2/token.
// The calling site comes from the request's world.Origin.
func (m *ManagedIdentity) IMDS() http.Handler {
	return http.HandlerFunc(m.serveIMDS)
}

func imdsError(rw http.ResponseWriter, status int, code, desc string) {
	writeJSON(rw, status, map[string]string{"error": code, "error_description": desc})
}

func (m *ManagedIdentity) serveIMDS(rw http.ResponseWriter, r *http.Request) {
	n := trace.NotesFrom(r.Context())
	rw.Header().Set("Server", "IMDS/150.870.65.1854")
	if r.URL.Path != imdsPath {
		imdsError(rw, http.StatusNotFound, "not_found", "The requested path is not found")
		return
	}
	if r.Method != http.MethodGet {
		imdsError(rw, http.StatusMethodNotAllowed, "method_not_allowed", "The request method is not allowed")
		return
	}
	// The DefaultAzureCredential probe sends no Metadata header; any answer
	// tells it IMDS exists, and this is the one IMDS gives.
	if !strings.EqualFold(r.Header.Get("Metadata"), "true") {
		m.noteFail(r, nil, "bad_request_102", "The request lacks the 'Metadata: true' header IMDS requires (it blocks forwarded requests).")
		imdsError(rw, http.StatusBadRequest, "bad_request_102", "Required metadata header not specified")
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") == "" {
		m.noteFail(r, nil, "invalid_request", "The request has no api-version.")
		imdsError(rw, http.StatusBadRequest, "invalid_request", "Required query variable 'api-version' is missing")
		return
	}
	resource := q.Get("resource")
	if resource == "" {
		m.noteFail(r, nil, "invalid_request", "The request has no resource.")
		imdsError(rw, http.StatusBadRequest, "invalid_request", "Required query variable 'resource' is missing")
		return
	}
	var sel miSelector
	for _, p := range []string{"client_id", "object_id", "msi_res_id"} {
		if v := q.Get(p); v != "" {
			if sel.param != "" {
				m.noteFail(r, nil, "invalid_request", "The request names more than one identity selector.")
				imdsError(rw, http.StatusBadRequest, "invalid_request", "Only one of client_id, object_id or msi_res_id may be specified")
				return
			}
			sel = miSelector{p, v}
		}
	}
	o := world.OriginFrom(r.Context())
	var w *world.World
	if o.Site != "" {
		w = m.reg.ByName(world.NameSite, o.Site)
		if w != nil && o.SandboxID != "" && w.ID() != o.SandboxID {
			w = nil // another learner's site: not this machine
		}
	}
	if w == nil {
		reason := "The code runs on the developer's workstation, which has no managed identity (on a real one, IMDS does not answer at all)."
		if o.Site != "" {
			reason = "The site '" + o.Site + "' is not in this sandbox."
		}
		m.noteFail(r, nil, "invalid_request", reason)
		imdsError(rw, http.StatusBadRequest, "invalid_request", "Identity not found")
		return
	}
	res, f := m.issue(w, o.Site, sel, resource, o)
	if f != nil {
		m.note(r, w, nil, f, "invalid_request")
		switch f.kind {
		case "multiple":
			imdsError(rw, http.StatusBadRequest, "invalid_request", "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request")
		case "resource":
			e := errResourceNotFound(resource, f.tenant)
			n.Authn.Code = "AADSTS500011"
			writeJSON(rw, http.StatusBadRequest, map[string]any{
				"error":             e.Err,
				"error_description": "AADSTS500011: " + e.Text,
				"error_codes":       []int{500011},
			})
		default:
			imdsError(rw, http.StatusBadRequest, "invalid_request", "Identity not found")
		}
		return
	}
	m.note(r, w, res, nil, "")
	secs := strconv.FormatInt(int64(res.exp.Sub(res.now)/time.Second), 10)
	writeJSON(rw, http.StatusOK, map[string]string{
		"access_token":   res.token,
		"client_id":      res.p.AppID,
		"expires_in":     secs,
		"expires_on":     unix(res.exp),
		"ext_expires_in": secs,
		"not_before":     unix(res.now.Add(-backdate)),
		"resource":       resource,
		"token_type":     "Bearer",
	})
}

func (m *ManagedIdentity) noteFail(r *http.Request, w *world.World, code, reason string) {
	m.note(r, w, nil, &miFailure{reason: reason}, code)
}

// AppService returns the handler of AppServiceIdentityEndpoint. The calling
// site is the one whose IDENTITY_HEADER the request presents.
func (m *ManagedIdentity) AppService() http.Handler {
	return http.HandlerFunc(m.serveAppService)
}

// appServiceError writes the App Service identity endpoint's error shape.
func appServiceError(rw http.ResponseWriter, status int, msg string) {
	writeJSON(rw, status, map[string]any{"statusCode": status, "message": msg, "correlationId": world.NewGUID()})
}

// siteByHeader resolves an identity header through the cache, re-checking a
// hit (a site can be deleted or its header changed).
func (m *ManagedIdentity) siteByHeader(h string) (*world.World, string) {
	if v, ok := m.headers.Load(h); ok {
		ref := v.(siteRef)
		still := false
		if m.reg.Get(ref.w.ID()) == ref.w {
			ref.w.View(func(st *world.State) {
				s := st.Site(ref.site)
				still = s != nil && s.IdentityHeader == h
			})
		}
		if still {
			return ref.w, ref.site
		}
		m.headers.Delete(h)
	}
	w, site := m.reg.SiteByIdentityHeader(h)
	if w != nil {
		m.headers.Store(h, siteRef{w, site})
	}
	return w, site
}

func (m *ManagedIdentity) serveAppService(rw http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), "/msi/token") {
		appServiceError(rw, http.StatusNotFound, "Not found.")
		return
	}
	if r.Method != http.MethodGet {
		appServiceError(rw, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	// App Service does not document these answers; these are plausible:
	// a missing header is a bad request, a wrong one is unauthorized.
	h := r.Header.Get("X-IDENTITY-HEADER")
	if h == "" {
		m.noteFail(r, nil, "400", "The request lacks the X-IDENTITY-HEADER header (the IDENTITY_HEADER value).")
		appServiceError(rw, http.StatusBadRequest, "X-IDENTITY-HEADER header is required.")
		return
	}
	w, siteName := m.siteByHeader(h)
	// The endpoint is local to the machine the code runs on: it knows only
	// that site's header. Another site's header (another learner's, learned
	// somehow) must not yield that site's identity.
	if o := world.OriginFrom(r.Context()); w != nil &&
		((o.SandboxID != "" && w.ID() != o.SandboxID) || (o.Site != "" && !strings.EqualFold(o.Site, siteName))) {
		m.noteFail(r, nil, "401", "The X-IDENTITY-HEADER value belongs to another site; the identity endpoint of the site the code runs on knows only its own.")
		appServiceError(rw, http.StatusUnauthorized, "Unauthorized.")
		return
	}
	if w == nil {
		m.noteFail(r, nil, "401", "The X-IDENTITY-HEADER value is not any site's IDENTITY_HEADER.")
		appServiceError(rw, http.StatusUnauthorized, "Unauthorized.")
		return
	}
	q := r.URL.Query()
	if v := q.Get("api-version"); v != AppServiceAPIVersion {
		m.noteFail(r, w, "400", "The api-version is '"+v+"'; this endpoint speaks "+AppServiceAPIVersion+".")
		appServiceError(rw, http.StatusBadRequest, "Unsupported api-version.")
		return
	}
	resource := q.Get("resource")
	if resource == "" {
		m.noteFail(r, w, "400", "The request has no resource.")
		appServiceError(rw, http.StatusBadRequest, "Resource is required.")
		return
	}
	var sel miSelector
	for _, p := range []string{"client_id", "principal_id", "object_id", "mi_res_id"} {
		if v := q.Get(p); v != "" && sel.param == "" {
			sel = miSelector{p, v}
		}
	}
	res, f := m.issue(w, siteName, sel, resource, world.OriginFrom(r.Context()))
	if f != nil {
		m.note(r, w, nil, f, "400")
		switch {
		case f.kind == "resource":
			e := errResourceNotFound(resource, f.tenant)
			appServiceError(rw, http.StatusBadRequest, "AADSTS500011: "+e.Text)
		case sel.param != "" || f.kind == "multiple":
			appServiceError(rw, http.StatusBadRequest, "No managed identity found for specified ClientId/ResourceId/PrincipalId.")
		default:
			appServiceError(rw, http.StatusBadRequest, "Unable to load requested managed identity.")
		}
		return
	}
	m.note(r, w, res, nil, "")
	writeJSON(rw, http.StatusOK, map[string]string{
		"access_token": res.token,
		"expires_on":   unix(res.exp),
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    res.p.AppID,
	})
}
