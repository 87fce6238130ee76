package entra

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// IsAuthorityHost reports whether host (without port) is one of the
// public-cloud authority hosts the token service answers at (MSAL's trusted
// list and instance-discovery aliases: service.EntraHosts).
func IsAuthorityHost(host string) bool {
	return service.Of(host) == service.Entra
}

// DefaultHost is the authority host azidentity uses by default.
const DefaultHost = "login.microsoftonline.com"

// Service is the token service of login.microsoftonline.com for every
// sandbox's tenant. It is an http.Handler.
type Service struct {
	reg *world.Registry
	iss *Issuer
}

// NewService returns the token service issuing with iss.
func NewService(reg *world.Registry, iss *Issuer) *Service {
	return &Service{reg: reg, iss: iss}
}

// multi-tenant path segments: they name no tenant.
func isCommon(seg string) bool {
	switch strings.ToLower(seg) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// ServeHTTP routes /{tenant}/... requests.
func (s *Service) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 2 {
		s.notFound(rw, r)
		return
	}
	tenant, rest := segs[0], strings.Join(segs[1:], "/")
	if strings.EqualFold(tenant, "common") && strings.EqualFold(rest, "discovery/instance") {
		s.instanceDiscovery(rw, r)
		return
	}
	if strings.EqualFold(tenant, "common") && strings.EqualFold(segs[1], "UserRealm") && len(segs) == 3 {
		s.userRealm(rw, r, segs[2])
		return
	}
	switch strings.ToLower(rest) {
	case "v2.0/.well-known/openid-configuration", ".well-known/openid-configuration",
		"discovery/v2.0/keys", "discovery/keys":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.methodNotAllowed(rw, r, "GET")
			return
		}
		s.discovery(rw, r, tenant, strings.ToLower(rest))
	case "oauth2/v2.0/token", "oauth2/token":
		if r.Method != http.MethodPost {
			s.methodNotAllowed(rw, r, "POST")
			return
		}
		s.token(rw, r, tenant, strings.EqualFold(rest, "oauth2/token"))
	default:
		s.notFound(rw, r)
	}
}

// resolveTenant finds the world of a tenant path segment: its GUID or its
// domain name.
func (s *Service) resolveTenant(seg string) *world.World {
	if w := s.reg.ByTenant(seg); w != nil {
		return w
	}
	if !strings.Contains(seg, ".") {
		return nil
	}
	// Domains are rare on the wire (SDKs use the GUID), so a scan is fine.
	for _, w := range s.reg.All() {
		var match bool
		w.View(func(st *world.State) { match = strings.EqualFold(st.TenantDomain, seg) })
		if match {
			return w
		}
	}
	return nil
}

// now is the time for a response: the sandbox's clock when one is known.
func (s *Service) now(w *world.World) time.Time {
	if w != nil {
		return w.Now()
	}
	return s.reg.Clock().Now()
}

// authorityHost is the host the client addressed (without port when it is
// the default), used to build endpoint URLs as Entra does.
func authorityHost(r *http.Request) string {
	h := r.Host
	if h == "" {
		h = DefaultHost
	}
	if host, port, err := net.SplitHostPort(h); err == nil && port == "443" {
		h = host
	}
	return strings.ToLower(h)
}

func (s *Service) discovery(rw http.ResponseWriter, r *http.Request, tenant, rest string) {
	var w *world.World
	tid := tenant
	if !isCommon(tenant) {
		if w = s.resolveTenant(tenant); w == nil {
			e := errTenantNotFound(tenant)
			e.Err = "invalid_tenant"
			s.fail(rw, r, nil, e, "")
			return
		}
		tid = w.TenantID()
		trace.NotesFrom(r.Context()).SandboxID = w.ID()
	}
	host := "https://" + authorityHost(r) + "/"
	var doc any
	keys := s.iss.Keys()
	switch rest {
	case "v2.0/.well-known/openid-configuration":
		issuer := V2Issuer(tid)
		if w == nil {
			issuer = V2Issuer(tenantPlaceholder)
		}
		doc = oidcV2(host+tid, issuer)
	case ".well-known/openid-configuration":
		issuer := V1Issuer(tid)
		if w == nil {
			issuer = V1Issuer(tenantPlaceholder)
		}
		doc = oidcV1(host, tid, issuer)
	case "discovery/v2.0/keys":
		if w != nil {
			writeRaw(rw, r, keys.JWKSForTenant(tid))
		} else {
			writeRaw(rw, r, keys.JWKS())
		}
		return
	case "discovery/keys":
		writeRaw(rw, r, keys.JWKSV1())
		return
	}
	discoveryHeaders(rw)
	writeJSON(rw, http.StatusOK, doc)
}

func discoveryHeaders(rw http.ResponseWriter) {
	h := rw.Header()
	h.Set("Cache-Control", "max-age=86400, private")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("X-Content-Type-Options", "nosniff")
}

func writeRaw(rw http.ResponseWriter, r *http.Request, b []byte) {
	discoveryHeaders(rw)
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(b)
	}
}

type oidcDoc struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JwksURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint,omitempty"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 string   `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MsgraphHost                       string   `json:"msgraph_host"`
	RbacURL                           string   `json:"rbac_url"`
}

func baseDoc(base, issuer string) oidcDoc {
	return oidcDoc{
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		Issuer:                            issuer,
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		KerberosEndpoint:                  base + "/kerberos",
		TenantRegionScope:                 "NA",
		CloudInstanceName:                 "microsoftonline.com",
		CloudGraphHostName:                "graph.windows.net",
		MsgraphHost:                       "graph.microsoft.com",
		RbacURL:                           "https://pas.windows.net",
	}
}

func oidcV2(base, issuer string) oidcDoc {
	d := baseDoc(base, issuer)
	d.TokenEndpoint = base + "/oauth2/v2.0/token"
	d.JwksURI = base + "/discovery/v2.0/keys"
	d.ScopesSupported = []string{"openid", "profile", "email", "offline_access"}
	d.UserinfoEndpoint = "https://graph.microsoft.com/oidc/userinfo"
	d.AuthorizationEndpoint = base + "/oauth2/v2.0/authorize"
	d.DeviceAuthorizationEndpoint = base + "/oauth2/v2.0/devicecode"
	d.EndSessionEndpoint = base + "/oauth2/v2.0/logout"
	d.ClaimsSupported = []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"}
	return d
}

func oidcV1(host, tid, issuer string) oidcDoc {
	base := host + tid
	d := baseDoc(base, issuer)
	d.TokenEndpoint = base + "/oauth2/token"
	d.JwksURI = host + "common/discovery/keys"
	d.ScopesSupported = []string{"openid"}
	d.UserinfoEndpoint = base + "/openid/userinfo"
	d.AuthorizationEndpoint = base + "/oauth2/authorize"
	d.DeviceAuthorizationEndpoint = base + "/oauth2/devicecode"
	d.EndSessionEndpoint = base + "/oauth2/logout"
	d.ClaimsSupported = []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "given_name", "family_name", "nickname"}
	return d
}

// instanceDiscovery answers MSAL's alias lookup for the public cloud.
func (s *Service) instanceDiscovery(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	authz, err := url.Parse(q.Get("authorization_endpoint"))
	known := err == nil && IsAuthorityHost(authz.Hostname())
	if q.Get("authorization_endpoint") == "" {
		s.fail(rw, r, nil, errMissingParamQuery("authorization_endpoint"), "")
		return
	}
	if !known || authz.Scheme != "https" {
		s.fail(rw, r, nil, &stsError{http.StatusBadRequest, "invalid_instance", 50049,
			"Unknown or invalid instance.", "The authority host is not a Microsoft Entra ID host."}, "")
		return
	}
	tenant := "common"
	if segs := strings.Split(strings.Trim(authz.Path, "/"), "/"); segs[0] != "" {
		tenant = segs[0]
	}
	type meta struct {
		PreferredNetwork string   `json:"preferred_network"`
		PreferredCache   string   `json:"preferred_cache"`
		Aliases          []string `json:"aliases"`
	}
	doc := struct {
		TenantDiscoveryEndpoint string `json:"tenant_discovery_endpoint"`
		APIVersion              string `json:"api-version"`
		Metadata                []meta `json:"metadata"`
	}{
		TenantDiscoveryEndpoint: "https://" + strings.ToLower(authz.Host) + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		APIVersion:              "1.1",
		Metadata: []meta{{
			PreferredNetwork: DefaultHost,
			PreferredCache:   "login.windows.net",
			Aliases:          service.EntraHosts(),
		}},
	}
	discoveryHeaders(rw)
	writeJSON(rw, http.StatusOK, doc)
}

func errMissingParamQuery(name string) *stsError {
	e := errMissingParam(name)
	e.Code = 900144
	e.Text = "The request must contain the following parameter: '" + name + "'."
	return e
}

// userRealm tells MSAL's username/password flow that sandbox users are
// managed (cloud-only) accounts.
func (s *Service) userRealm(rw http.ResponseWriter, r *http.Request, user string) {
	domain := user
	if i := strings.LastIndex(user, "@"); i >= 0 {
		domain = user[i+1:]
	}
	doc := map[string]string{
		"ver":                 "1.0",
		"account_type":        "Managed",
		"domain_name":         strings.ToLower(domain),
		"cloud_instance_name": "microsoftonline.com",
		"cloud_audience_urn":  "urn:federation:MicrosoftOnline",
	}
	if s.resolveTenant(domain) == nil {
		doc["account_type"] = "Unknown"
	}
	writeJSON(rw, http.StatusOK, doc)
}

func (s *Service) notFound(rw http.ResponseWriter, r *http.Request) {
	// Entra answers unknown paths with an HTML 404; a bare one will do.
	http.NotFound(rw, r)
}

func (s *Service) methodNotAllowed(rw http.ResponseWriter, r *http.Request, allow string) {
	rw.Header().Set("Allow", allow)
	s.fail(rw, r, nil, &stsError{http.StatusMethodNotAllowed, "invalid_request", 900561,
		"The endpoint only accepts " + allow + " requests. Received a " + r.Method + " request.",
		"Wrong HTTP method for this endpoint."}, "")
}

// fail writes an Entra error and records it in the trace notes.
func (s *Service) fail(rw http.ResponseWriter, r *http.Request, w *world.World, e *stsError, subject string) {
	n := trace.NotesFrom(r.Context())
	n.Authn = &trace.Authn{OK: false, Subject: subject, Code: "AADSTS" + itoa(e.Code), Reason: e.Reason}
	writeSTSError(rw, r, s.now(w), e)
}
