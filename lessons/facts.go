package lessons

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Facts is what a step reads of the sandbox it runs against and how it
// reaches it. The simulator's world provides them for a simulated sandbox
// (simFacts); real mode's adapter (cmd/sandbox) provides them for the
// steps a lesson declares real (Lesson.Real) in a real-mode sandbox, so
// those steps never read the simulated world.
type Facts interface {
	// Real reports real Azure (the page hides simulator-only controls).
	Real() bool
	Tenant() string
	Subscription() string
	// Cloud is the cloud configuration the SDK clients are built with.
	Cloud() cloud.Configuration
	// Placeholders are the values of the sandbox placeholders ({vault},
	// {vaultUrl}, {queueUrl}, {clientId}, …) where the sandbox has them.
	Placeholders() map[string]string
	// Principal finds a labelled principal (localDev, owner, …).
	Principal(label string) (PrincipalRef, error)
	// Role finds a role definition by name.
	Role(name string) (rbac.RoleDefinition, bool)
	// Scope is the ARM ID of a scope kind (scenario.ScopeKinds).
	Scope(kind string) (string, error)
	// Transport carries the learner's program's requests from origin.
	Transport(o world.Origin) http.RoundTripper
	// OwnerTransport carries the sandbox's own tools' requests (role
	// assignments, the vault's settings) from origin.
	OwnerTransport(o world.Origin) http.RoundTripper
	// OwnerCredential is who the sandbox's own tools act as: the learner's
	// admin account in the simulator, the server's identity in real mode
	// (inside the sandbox's guard rail). opts carry OwnerTransport.
	OwnerCredential(ctx context.Context, opts azcore.ClientOptions) (azcore.TokenCredential, error)
	// Exchanges are the sandbox's recorded exchanges after seq.
	Exchanges(afterSeq int64) []trace.Exchange
	// LastSeq is the Seq of the sandbox's newest exchange (0: none), read
	// without copying the trace.
	LastSeq() int64
	// State evaluates a state check; exs is the sandbox's trace.
	State(m *StateMatch, exs []trace.Exchange) (bool, string)
}

// PrincipalRef is what the actions need of a principal.
type PrincipalRef struct {
	ObjectID string
	AppID    string // "" for users and managed identities
	// Type is ARM's principalType (ServicePrincipal, User, Group).
	Type string
	// Secret is the client secret the sandbox keeps for it ("" if none).
	Secret string
}

// simFacts are a simulated sandbox's facts: its world, reached through the
// simulated cloud.
type simFacts struct{ r *Runner }

func (simFacts) Real() bool { return false }

func (f simFacts) Tenant() (t string) {
	f.r.w.View(func(st *world.State) { t = st.TenantID })
	return
}

func (f simFacts) Subscription() (s string) {
	f.r.w.View(func(st *world.State) { s = st.SubscriptionID })
	return
}

func (simFacts) Cloud() cloud.Configuration { return cloud.AzurePublic }

func (f simFacts) Placeholders() (m map[string]string) {
	f.r.w.View(func(st *world.State) { m = placeholderValues(st) })
	return
}

func (f simFacts) Principal(label string) (ref PrincipalRef, err error) {
	f.r.w.View(func(st *world.State) {
		var p *world.Principal
		if p, err = principalByLabel(st, label); err == nil {
			ref = PrincipalRef{ObjectID: p.ObjectID, AppID: p.AppID, Type: p.Type(), Secret: st.Keychain[label]}
		}
	})
	return
}

func (f simFacts) Role(name string) (d rbac.RoleDefinition, ok bool) {
	f.r.w.View(func(st *world.State) { d, ok = rbac.RoleByName(name, st.CustomRoles) })
	return
}

func (f simFacts) Scope(kind string) (id string, err error) {
	f.r.w.View(func(st *world.State) { id, err = resolvedScope(st, kind) })
	return
}

func (f simFacts) Transport(o world.Origin) http.RoundTripper { return f.r.cloud.Transport(o) }

func (f simFacts) OwnerTransport(o world.Origin) http.RoundTripper { return f.r.cloud.Transport(o) }

func (f simFacts) OwnerCredential(ctx context.Context, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	return f.r.simOwnerCredential(ctx, opts)
}

func (f simFacts) Exchanges(after int64) []trace.Exchange {
	return f.r.cloud.Exchanges(f.r.w.ID(), after)
}

func (f simFacts) LastSeq() int64 { return f.r.cloud.LastSeq(f.r.w.ID()) }

func (f simFacts) State(m *StateMatch, _ []trace.Exchange) (ok bool, detail string) {
	f.r.w.View(func(st *world.State) { ok, detail = stateMet(m, st) })
	return
}

// principalRegistry is what a real sandbox's facts add: app registrations
// (with their service principal and password) a lesson creates and deletes
// in the tenant, tracked by the sandbox so deleting it removes them.
type principalRegistry interface {
	CreatePrincipal(ctx context.Context, o world.Origin, label, name string) (PrincipalRef, error)
	DeletePrincipal(ctx context.Context, o world.Origin, label string) error
}

// RealActions are the actions a lesson may declare real: they read only
// Facts and reach Azure through the facts' transports. The rest change the
// simulated world directly (clock, propagation delay, sites, managed
// identities, deployments) or need principals a real sandbox does not have.
var RealActions = map[string]bool{
	"credential.default": true, "credential.secret": true, "credential.getToken": true,
	"secrets.newClient": true, "secrets.get": true, "secrets.set": true, "secrets.getWithToken": true,
	"queue.newClient": true, "queue.send": true, "queue.receive": true,
	"assignRole": true, "removeRole": true, "setEnv": true, "useWrongSecret": true, "useCredential": true,
	"useServicePrincipal": true, "setVaultModel": true, "addAccessPolicy": true, "removeAccessPolicy": true,
	"createServicePrincipal": true, "deletePrincipal": true,
}

// WireState evaluates a state check from what real Azure answered, as a
// real-mode sandbox has no world to look at: a role assignment counts when
// ARM created it (200/201 to a PUT of a roleAssignment, the principal and
// role read from ARM's answer) and did not delete it since; the vault's
// permission model and access policies are the last vault ARM returned.
// f resolves labels and scope kinds.
func WireState(m *StateMatch, f Facts, exs []trace.Exchange) (bool, string) {
	switch {
	case m.RoleAssignment != nil:
		if scope, ok := wireAssignment(m.RoleAssignment, f, exs); ok {
			return true, fmt.Sprintf("%s has %s at %s (ARM answered the assignment)", m.RoleAssignment.Principal, m.RoleAssignment.Role, scope)
		}
		return false, fmt.Sprintf("%s has no %s assignment%s that ARM confirmed", m.RoleAssignment.Principal, m.RoleAssignment.Role, scopeWords(m.RoleAssignment.Scope))
	case m.NoRoleAssignment != nil:
		if scope, ok := wireAssignment(m.NoRoleAssignment, f, exs); ok {
			return false, fmt.Sprintf("%s still has %s at %s", m.NoRoleAssignment.Principal, m.NoRoleAssignment.Role, scope)
		}
		return true, fmt.Sprintf("%s has no %s assignment%s", m.NoRoleAssignment.Principal, m.NoRoleAssignment.Role, scopeWords(m.NoRoleAssignment.Scope))
	case m.VaultModel != "" || m.AccessPolicy != nil:
		v, ok := lastVault(f, exs)
		if !ok {
			return false, "no answer from ARM about the vault yet"
		}
		if m.VaultModel != "" {
			model := "accessPolicy"
			if v.Properties.EnableRbacAuthorization {
				model = "rbac"
			}
			return model == m.VaultModel, "the vault uses " + model + " (ARM's last answer)"
		}
		p, err := f.Principal(m.AccessPolicy.Principal)
		if err != nil {
			return false, err.Error()
		}
		for _, ap := range v.Properties.AccessPolicies {
			if strings.EqualFold(ap.ObjectID, p.ObjectID) && (containsFold(ap.Permissions.Secrets, m.AccessPolicy.Permission) || containsFold(ap.Permissions.Secrets, "all")) {
				return true, m.AccessPolicy.Principal + " may " + m.AccessPolicy.Permission + " secrets by access policy"
			}
		}
		return false, "no access policy lets " + m.AccessPolicy.Principal + " " + m.AccessPolicy.Permission + " secrets"
	}
	return false, "this check needs the simulated cloud: it is not evaluated in real mode"
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// wireAssignment finds a live assignment matching m in what ARM answered;
// it returns its scope.
func wireAssignment(m *RoleMatch, f Facts, exs []trace.Exchange) (string, bool) {
	p, err := f.Principal(m.Principal)
	if err != nil {
		return "", false
	}
	role, ok := f.Role(m.Role)
	if !ok {
		return "", false
	}
	want := ""
	if m.Scope != "" {
		if want, err = f.Scope(m.Scope); err != nil {
			return "", false
		}
	}
	type assignment struct{ principal, role, scope string }
	live := map[string]assignment{} // by the assignment's lower-cased ID
	for _, ex := range exs {
		if ex.Service != "arm" {
			continue
		}
		id := armPath(ex.URL)
		i := strings.LastIndex(strings.ToLower(id), "/providers/microsoft.authorization/roleassignments/")
		if i < 0 || strings.Count(id[i+1:], "/") != 3 {
			continue
		}
		key := strings.ToLower(id)
		switch {
		case ex.Method == http.MethodPut && (ex.Status == 200 || ex.Status == 201):
			var body struct {
				Properties struct{ PrincipalID, RoleDefinitionID, Scope string } `json:"properties"`
			}
			if json.Unmarshal([]byte(ex.ResponseBody), &body) != nil {
				continue
			}
			scope := body.Properties.Scope
			if scope == "" {
				scope = id[:i]
			}
			live[key] = assignment{body.Properties.PrincipalID, rbac.RoleGUID(body.Properties.RoleDefinitionID), scope}
		case ex.Method == http.MethodDelete && (ex.Status == 200 || ex.Status == 204):
			delete(live, key)
		}
	}
	for _, a := range live {
		if strings.EqualFold(a.principal, p.ObjectID) && strings.EqualFold(a.role, role.ID) && (want == "" || strings.EqualFold(a.scope, want)) {
			return a.scope, true
		}
	}
	return "", false
}

// wireVault is the part of ARM's vault resource the checks read.
type wireVault struct {
	Properties struct {
		EnableRbacAuthorization bool                 `json:"enableRbacAuthorization"`
		AccessPolicies          []world.AccessPolicy `json:"accessPolicies"`
	} `json:"properties"`
}

// lastVault rebuilds the vault's permission settings from ARM's answers: a
// whole vault (GET, PUT, PATCH) sets them, an accessPolicies add or remove
// (whose answer carries only the policies sent) changes them.
func lastVault(f Facts, exs []trace.Exchange) (wireVault, bool) {
	var v wireVault
	seen := false
	vaultID, err := f.Scope(scenario.ScopeVault)
	if err != nil {
		return v, false
	}
	for _, ex := range exs {
		if ex.Service != "arm" || ex.Status != 200 {
			continue
		}
		id := armPath(ex.URL)
		switch {
		case strings.EqualFold(id, vaultID):
			var body struct {
				Properties struct {
					EnableRbacAuthorization *bool                `json:"enableRbacAuthorization"`
					AccessPolicies          []world.AccessPolicy `json:"accessPolicies"`
				} `json:"properties"`
			}
			if json.Unmarshal([]byte(ex.ResponseBody), &body) != nil || body.Properties.EnableRbacAuthorization == nil {
				continue
			}
			v.Properties.EnableRbacAuthorization = *body.Properties.EnableRbacAuthorization
			v.Properties.AccessPolicies = body.Properties.AccessPolicies
			seen = true
		case strings.EqualFold(id, vaultID+"/accessPolicies/add"), strings.EqualFold(id, vaultID+"/accessPolicies/remove"):
			var body wireVault
			if json.Unmarshal([]byte(ex.RequestBody), &body) != nil {
				continue
			}
			add := strings.HasSuffix(strings.ToLower(id), "/add")
			for _, ap := range body.Properties.AccessPolicies {
				v.Properties.AccessPolicies = mergePolicy(v.Properties.AccessPolicies, ap, add)
			}
		}
	}
	return v, seen
}

// mergePolicy adds (or removes) ap's secret permissions to the entry of
// its principal, as ARM's accessPolicies/add and /remove do.
func mergePolicy(list []world.AccessPolicy, ap world.AccessPolicy, add bool) []world.AccessPolicy {
	for i := range list {
		if !strings.EqualFold(list[i].ObjectID, ap.ObjectID) {
			continue
		}
		for _, p := range ap.Permissions.Secrets {
			has := containsFold(list[i].Permissions.Secrets, p)
			switch {
			case add && !has:
				list[i].Permissions.Secrets = append(list[i].Permissions.Secrets, p)
			case !add && has:
				list[i].Permissions.Secrets = slices.DeleteFunc(list[i].Permissions.Secrets, func(s string) bool { return strings.EqualFold(s, p) })
			}
		}
		if len(list[i].Permissions.Secrets) == 0 && !add {
			return slices.Delete(list, i, i+1)
		}
		return list
	}
	if add {
		list = append(list, ap)
	}
	return list
}

// armPath is the resource path of an ARM URL, without the query.
func armPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// wireModels returns a copy of a real sandbox's trace where each Key Vault
// answer without a decision carries the permission model the vault had when
// it answered (from ARM's answers before it; Azure RBAC, as the sandbox is
// provisioned, before any), so trace checks naming a model read the wire.
// Only the model is set: real Azure's decision itself is not known.
func wireModels(exs []trace.Exchange, f Facts) []trace.Exchange {
	vaultID, err := f.Scope(scenario.ScopeVault)
	if err != nil {
		return exs
	}
	out := slices.Clone(exs)
	model := "rbac"
	for i := range out {
		ex := &out[i]
		if ex.Service == "arm" && ex.Status == 200 && strings.EqualFold(armPath(ex.URL), vaultID) {
			var body struct {
				Properties struct {
					EnableRbacAuthorization *bool `json:"enableRbacAuthorization"`
				} `json:"properties"`
			}
			if json.Unmarshal([]byte(ex.ResponseBody), &body) == nil && body.Properties.EnableRbacAuthorization != nil {
				model = map[bool]string{true: "rbac", false: "accessPolicy"}[*body.Properties.EnableRbacAuthorization]
			}
		}
		if ex.Service == "keyvault" && ex.Authz == nil && ex.Status >= 200 && ex.Status != 401 {
			ex.Authz = &rbac.Decision{Model: model, Allowed: ex.Status < 400}
		}
	}
	return out
}
