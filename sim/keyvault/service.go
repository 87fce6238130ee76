// Package keyvault simulates the Azure Key Vault secrets data plane at
// https://{vault}.vault.azure.net: the bearer challenge, token validation with
// Key Vault's AKV error codes, the two permission models (Azure RBAC data
// actions and access policies) and the secrets REST API (set, get, list,
// versions, update, soft delete, recover, purge) with Key Vault's JSON shapes.
package keyvault

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// LatestAPIVersion is the api-version azsecrets v1.5.1 sends.
const LatestAPIVersion = "2026-04-01"

// apiVersions lists the api-versions this vault answers.
func knownAPIVersion(v string) bool {
	switch v {
	case "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", LatestAPIVersion:
		return true
	}
	return false
}

// Service is the Key Vault data plane of every sandbox: the vault named by
// the request's host decides which world answers.
type Service struct {
	reg       *world.Registry
	validator tokenValidator
}

// New returns the Key Vault service.
func New(reg *world.Registry, v *entra.Validator) *Service {
	return &Service{reg: reg, validator: v}
}

// VaultName returns the vault a host names ("myvault" for
// "myvault.vault.azure.net:443"), or "" when host is not a vault host.
func VaultName(host string) string {
	return service.HostName(host, service.SuffixKeyVault)
}

// ServeHTTP answers one Key Vault request.
func (s *Service) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	notes := trace.NotesFrom(r.Context())
	name := VaultName(r.Host)
	if name == "" {
		setHeaders(rw, r, "")
		writeError(rw, badParameter("The host '"+sanitize(r.Host)+"' is not a Key Vault host (expected {vault-name}.vault.azure.net)."))
		return
	}
	w := s.reg.ByName(world.NameVault, name)
	v, ok := vaultOf(w, name)
	if !ok {
		// In Azure the name would not resolve in DNS at all; the front door
		// may turn this into a transport error before it gets here.
		setHeaders(rw, r, "")
		writeError(rw, &apiError{status: http.StatusNotFound, code: "VaultNotFound",
			message: "No vault named '" + sanitize(name) + "' exists. (In Azure, " + sanitize(name) + service.SuffixKeyVault + " would not resolve in DNS.)"})
		return
	}
	notes.SandboxID = w.ID()
	setHeaders(rw, r, v.Location)

	claims, aerr := s.authenticate(r, w, notes)
	if aerr != nil {
		rw.Header().Set("WWW-Authenticate", challenge(w.TenantID()))
		writeError(rw, aerr)
		return
	}
	if aerr := checkAPIVersion(r); aerr != nil {
		writeError(rw, aerr)
		return
	}
	o, aerr := route(r.Method, r.URL.Path)
	if aerr == nil {
		aerr = validate(o)
	}
	var params *setParams
	if aerr == nil && (o.kind == opSet || o.kind == opUpdate) {
		params, aerr = readParams(r, o.kind == opSet)
	}
	if aerr != nil {
		writeError(rw, aerr)
		return
	}
	d, aerr := authorize(w, v, claims, o)
	notes.Authz = d
	if aerr != nil {
		writeError(rw, aerr)
		return
	}
	h := &handler{w: w, v: v, r: r, rw: rw}
	h.serve(o, params)
}

// vaultOf copies what a request needs to know about a vault.
func vaultOf(w *world.World, name string) (vaultInfo, bool) {
	if w == nil {
		return vaultInfo{}, false
	}
	var v vaultInfo
	var ok bool
	w.View(func(s *world.State) {
		vault := s.Vault(name)
		if vault == nil {
			return
		}
		ok = true
		v = vaultInfo{
			Name:          strings.ToLower(vault.Name),
			Location:      vault.Location,
			ID:            s.VaultID(vault),
			RBAC:          vault.EnableRbacAuthorization,
			Policies:      append([]world.AccessPolicy(nil), vault.AccessPolicies...),
			RetentionDays: vault.SoftDeleteRetentionDays,
			TenantID:      s.TenantID,
		}
	})
	return v, ok
}

func checkAPIVersion(r *http.Request) *apiError {
	q := r.URL.Query()
	if !q.Has("api-version") {
		return badParameter("The api-version query parameter (?api-version=) is required for all requests.")
	}
	if v := q.Get("api-version"); !knownAPIVersion(v) {
		return badParameter("The specified version (" + sanitize(v) + ") is not recognized. Consider using the latest supported version (" + LatestAPIVersion + ").")
	}
	return nil
}

// validate checks the names in the URI, as Key Vault does before anything
// else looks at them.
func validate(o op) *apiError {
	if o.kind == opList || o.kind == opListDeleted {
		return nil
	}
	if !validName(o.name) {
		return badParameter("The request URI contains an invalid name: " + sanitize(o.name))
	}
	if o.version != "" && !validVersion(o.version) {
		return badParameter("The request URI contains an invalid version: " + sanitize(o.version))
	}
	return nil
}
