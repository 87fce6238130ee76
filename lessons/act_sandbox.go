package lessons

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func sandboxActions() []*Action {
	principal := Param{Name: "principal", Help: "principal label (owner, localDev, developer, mainApp, or one you created)", Required: true}
	role := Param{Name: "role", Help: "built-in role name, e.g. Key Vault Secrets User", Required: true}
	scope := Param{Name: "scope", Help: "where the role applies", Default: scenario.ScopeVault, Enum: scenario.ScopeKinds()}
	sandbox := func(name, title, cli string, params []Param, run func(*execution) (string, error)) *Action {
		return &Action{Name: name, Kind: BlockAction, Title: title, CLI: cli, Params: params, run: run}
	}
	return []*Action{
		sandbox("assignRole", "Assign a role", `az role assignment create --assignee <{principal}> --role "{role}" --scope <{scope}>`,
			[]Param{principal, role, scope}, runAssignRole),
		sandbox("removeRole", "Remove a role assignment", `az role assignment delete --assignee <{principal}> --role "{role}" --scope <{scope}>`,
			[]Param{principal, role, scope}, runRemoveRole),
		sandbox("setEnv", "Set an environment variable on the workstation", `export {name}={value}`,
			[]Param{{Name: "name", Required: true, Help: "variable name"}, {Name: "value", Help: "value; empty removes it"}}, runSetEnv),
		sandbox("useWrongSecret", "Put a wrong client secret in AZURE_CLIENT_SECRET", `export AZURE_CLIENT_SECRET=<a secret that is not valid>`,
			nil, runUseWrongSecret),
		sandbox("useCredential", "Choose what the workstation holds", "",
			[]Param{{Name: "credential", Required: true, Enum: []string{CredLocalDev, CredNone, CredDeveloper}, Help: "localDev env vars, nothing, or az login as yourself"}}, runUseCredential),
		sandbox("runOn", "Choose where the code runs", "",
			[]Param{{Name: "where", Required: true, Enum: []string{RunsOnWorkstation, RunsOnSite}, Help: "workstation or the App Service site"}}, runRunOn),
		sandbox("advanceClock", "Move the sandbox clock forward", "",
			[]Param{{Name: "seconds", Required: true, Help: "how far"}}, runAdvanceClock),
		sandbox("setVaultModel", "Choose the vault's permission model", `az keyvault update --name {vault} --enable-rbac-authorization true   # rbac; false = access policies`,
			[]Param{{Name: "model", Required: true, Enum: []string{"rbac", "accessPolicy"}, Help: "Azure RBAC or vault access policies"}}, runSetVaultModel),
		sandbox("addAccessPolicy", "Grant secret permissions by access policy", `az keyvault set-policy --name {vault} --object-id <{principal}> --secret-permissions {secrets}`,
			[]Param{principal, {Name: "secrets", Default: "get,list", Help: "comma-separated secret permissions"}}, runAddAccessPolicy),
		sandbox("removeAccessPolicy", "Remove a principal's access policy", `az keyvault delete-policy --name {vault} --object-id <{principal}>`,
			[]Param{principal}, runRemoveAccessPolicy),
		sandbox("setSiteIdentity", "Turn the site's system-assigned identity on or off", `az webapp identity assign --name {mainSite} --resource-group auth-scenario-rg   # on; "remove" turns it off`,
			[]Param{{Name: "state", Required: true, Enum: []string{"on", "off"}, Help: "on or off"}}, runSetSiteIdentity),
		sandbox("deletePrincipal", "Delete a service principal", `az ad app delete --id <{principal}>   # the app registration and its service principal`,
			[]Param{principal}, runDeletePrincipal),
		sandbox("createServicePrincipal", "Register an app (creates a service principal and a secret)", `az ad sp create-for-rbac --name {name}`,
			[]Param{{Name: "label", Required: true, Help: "label to refer to it in later steps"}, {Name: "name", Help: "display name", Default: "my-app"}}, runCreateServicePrincipal),
		sandbox("setPropagationDelay", "Make role assignment changes take time", "",
			[]Param{{Name: "seconds", Required: true, Help: "delay"}}, runSetPropagationDelay),
		sandbox("createResourceGroup", "Create a resource group", `az group create --name {name} --location {location}`,
			[]Param{{Name: "name", Default: scenario.ResourceGroup, Help: "name"}, {Name: "location", Default: scenario.Location, Help: "region"}}, runCreateResourceGroup),
	}
}

// resolvedScope returns the ARM ID of a scope kind in st ("" is the vault).
func resolvedScope(st *world.State, kind string) (string, error) {
	kind = cmp.Or(kind, scenario.ScopeVault)
	if !slices.Contains(scenario.ScopeKinds(), kind) {
		return "", fmt.Errorf("unknown scope %q (use one of %s)", kind, strings.Join(scenario.ScopeKinds(), ", "))
	}
	id, ok := scenario.Scope(st, kind)
	if !ok {
		return "", fmt.Errorf("scope %s: %w", kind, errNoSandboxObject)
	}
	return id, nil
}

// principalByLabel finds a labelled principal.
func principalByLabel(st *world.State, label string) (*world.Principal, error) {
	p := st.Principals[st.Labels[label]]
	if p == nil {
		return nil, fmt.Errorf("principal %q: %w (deleted, or never created)", label, errNoSandboxObject)
	}
	return p, nil
}

// ownerCred is the owner's credential with the sandbox clock offset it was
// made under.
type ownerCred struct {
	cred   azcore.TokenCredential
	offset time.Duration
}

// ownerCredential returns the owner's credential: the learner's admin
// account, which the portal-like actions act as. The credential caches
// tokens by the real clock while Entra stamps them with the sandbox's, so a
// clock move (advanceClock) gets a fresh credential: otherwise its cached
// token would be expired in the sandbox yet still served.
func (x *execution) ownerCredential() (azcore.TokenCredential, error) {
	return x.f.OwnerCredential(x.ctx, x.ownerOptions())
}

// simOwnerCredential is the simulated sandbox's owner credential (see
// ownerCredential), cached in the run's hidden objects.
func (r *Runner) simOwnerCredential(ctx context.Context, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	var tenant, appID, secret string
	var offset time.Duration
	valid, now := false, r.w.Now()
	r.w.View(func(st *world.State) {
		tenant, offset = st.TenantID, st.ClockOffset
		if p := st.Principals[st.Labels[scenario.LabelOwner]]; p != nil {
			appID, secret = p.AppID, st.Keychain[scenario.LabelOwner]
			valid = r.holdsLiveSecret(p, secret, now)
		}
	})
	renewed := false
	if appID != "" && !valid {
		// The owner stands for the learner's admin sign-in, not a lesson
		// subject: when a clock move has expired its secret, the sandbox
		// gives it a new one rather than lock the learner out.
		err := r.w.Update(ctx, func(tx *world.Tx) error {
			p := tx.State.Principals[tx.State.Labels[scenario.LabelOwner]]
			if p == nil {
				return fmt.Errorf("the sandbox owner: %w", errNoSandboxObject)
			}
			secret, _ = tx.AddClientSecret(p, "sandbox owner", scenario.SecretLifetime)
			tx.State.Keychain[scenario.LabelOwner] = secret
			return nil
		})
		if err != nil {
			return nil, err
		}
		renewed = true
	}
	if c, ok := r.hidden["owner"].(ownerCred); ok && c.offset == offset && !renewed {
		return c.cred, nil
	}
	if appID == "" {
		return nil, fmt.Errorf("the sandbox owner: %w", errNoSandboxObject)
	}
	cred, err := azidentity.NewClientSecretCredential(tenant, appID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		return nil, err
	}
	r.hidden["owner"] = ownerCred{cred: cred, offset: offset}
	return cred, nil
}

// holdsLiveSecret reports whether secret is one of p's unexpired secrets.
// now is read before the caller's View: World.Now takes the read lock.
func (r *Runner) holdsLiveSecret(p *world.Principal, secret string, now time.Time) bool {
	for _, cs := range p.Secrets {
		if now.Before(cs.EndDate) && r.w.CheckSecret(secret, cs.Hash) {
			return true
		}
	}
	return false
}

func (x *execution) roleTarget() (principal PrincipalRef, role rbac.RoleDefinition, scope, sub string, err error) {
	sub = x.f.Subscription()
	if principal, err = x.f.Principal(x.params["principal"]); err != nil {
		return
	}
	var ok bool
	if role, ok = x.f.Role(x.params["role"]); !ok {
		err = fmt.Errorf("unknown role %q", x.params["role"])
		return
	}
	scope, err = x.f.Scope(x.params["scope"])
	return
}

// roleAssignments is ARM's role-assignment client acting as the sandbox's
// owner over the runner's transport.
func (x *execution) roleAssignments(sub string) (*armauthorization.RoleAssignmentsClient, error) {
	cred, err := x.ownerCredential()
	if err != nil {
		return nil, err
	}
	return armauthorization.NewRoleAssignmentsClient(sub, cred, &arm.ClientOptions{ClientOptions: x.ownerOptions()})
}

// runAssignRole creates the assignment through ARM as the owner, so it is
// in the trace the way the portal or az would make it.
func runAssignRole(x *execution) (string, error) {
	p, role, scope, sub, err := x.roleTarget()
	if err != nil {
		return "", err
	}
	client, err := x.roleAssignments(sub)
	if err != nil {
		return "", err
	}
	roleDefID := "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + role.ID
	pt := armauthorization.PrincipalType(p.Type)
	_, err = client.Create(x.ctx, scope, world.NewGUID(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{PrincipalID: to.Ptr(p.ObjectID), RoleDefinitionID: to.Ptr(roleDefID), PrincipalType: &pt},
	}, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.ErrorCode == "RoleAssignmentExists" {
		// az reports the existing assignment; a setup applied again (the
		// lesson reopened in the same sandbox) must not fail on it.
		return fmt.Sprintf("%s already has %s at %s", x.params["principal"], role.RoleName, scope), nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("assigned %s to %s at %s\naz role assignment create --assignee %s --role %q --scope %s",
		role.RoleName, x.params["principal"], scope, p.ObjectID, role.RoleName, scope) + x.propagation(), nil
}

// RealPropagation is what a real-mode role change adds to its output: in
// Azure it takes effect when it reaches the service, not when ARM answers.
const RealPropagation = "\nIn real Azure a role change can take several minutes to reach the service: if the next call is still refused, wait a little and run the step again."

func (x *execution) propagation() string {
	if x.f.Real() {
		return RealPropagation
	}
	return ""
}

// runRemoveRole deletes the principal's assignments of the role at the
// scope the way az does: list them through ARM, delete each. Nothing to
// remove is not an error (az only warns), so a setup may use it to make
// sure a lesson starts without the role.
func runRemoveRole(x *execution) (string, error) {
	p, role, scope, sub, err := x.roleTarget()
	if err != nil {
		return "", err
	}
	client, err := x.roleAssignments(sub)
	if err != nil {
		return "", err
	}
	var names []string
	filter := "principalId eq '" + p.ObjectID + "'"
	if x.f.Real() {
		// armauthorization appends $filter to the query unencoded; over a
		// real wire its spaces make the request line invalid (400 before
		// ARM sees it), so it is encoded here as az encodes it. The
		// simulator is reached in process and parses either.
		filter = strings.ReplaceAll(url.PathEscape(filter), "'", "%27")
	}
	pager := client.NewListForScopePager(scope, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: to.Ptr(filter)})
	for pager.More() {
		page, err := pager.NextPage(x.ctx)
		if err != nil {
			return "", err
		}
		for _, a := range page.Value {
			if a.Name == nil || a.Properties == nil || a.Properties.Scope == nil || a.Properties.RoleDefinitionID == nil {
				continue
			}
			if strings.EqualFold(*a.Properties.Scope, scope) && strings.EqualFold(rbac.RoleGUID(*a.Properties.RoleDefinitionID), role.ID) {
				names = append(names, *a.Name)
			}
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("%s has no %s assignment at %s: nothing to remove", x.params["principal"], role.RoleName, scope), nil
	}
	for _, name := range names {
		if _, err := client.Delete(x.ctx, scope, name, nil); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("removed %s from %s at %s", role.RoleName, x.params["principal"], scope) + x.propagation(), nil
}

// restart notes that env changes need the program to start again.
const restarted = "\nThe app restarts with the new environment: objects from earlier steps are gone."

func runSetEnv(x *execution) (string, error) {
	if x.r.place.RunsOn != RunsOnWorkstation {
		return "", fmt.Errorf("environment variables are edited on the workstation; on the site they are app settings")
	}
	p := x.r.place.Clone()
	name, value := x.params["name"], x.params["value"]
	if value == "" {
		delete(p.Env, name)
	} else {
		p.Env[name] = value
	}
	x.r.setPlaceLocked(p)
	if value == "" {
		return "unset " + name + restarted, nil
	}
	shown := value
	if strings.Contains(strings.ToUpper(name), "SECRET") || strings.Contains(strings.ToUpper(name), "PASSWORD") {
		shown = mask(value)
	}
	return name + "=" + shown + restarted, nil
}

func runUseWrongSecret(x *execution) (string, error) {
	p := x.r.place.Clone()
	if p.Env[EnvClientID] == "" {
		return "", fmt.Errorf("AZURE_CLIENT_ID is not set: there is no client secret to get wrong")
	}
	p.Env[EnvClientSecret] = world.NewClientSecretValue()
	x.r.setPlaceLocked(p)
	return "AZURE_CLIENT_SECRET=" + mask(p.Env[EnvClientSecret]) + " (a value Entra ID never issued)" + restarted, nil
}

func runUseCredential(x *execution) (string, error) {
	p := x.r.place.Clone()
	p.Env = map[string]string{}
	p.CLI, p.CLIUser = CLINotInstalled, ""
	switch c := x.params["credential"]; c {
	case CredLocalDev:
		p.Env = PrincipalEnvOf(x.f, scenario.LabelLocalDev)
	case CredDeveloper:
		if x.f.Real() {
			return "", fmt.Errorf("the developer user exists only in the simulator: a real sandbox has no one to sign in as")
		}
		p.CLI, p.CLIUser = CLISignedIn, scenario.LabelDeveloper
	case CredNone:
	default:
		return "", fmt.Errorf("unknown credential %q", c)
	}
	x.r.setPlaceLocked(p)
	return "the workstation now holds: " + x.params["credential"] + restarted, nil
}

func runRunOn(x *execution) (string, error) {
	p := x.r.place.Clone()
	switch w := x.params["where"]; w {
	case RunsOnWorkstation, RunsOnSite:
		p.RunsOn = w
	default:
		return "", fmt.Errorf("unknown place %q", w)
	}
	x.r.setPlaceLocked(p)
	return "the code now runs on the " + p.RunsOn + restarted, nil
}

// Bounds of the time actions, the same as the JSON API's clock endpoint:
// far below where time.Duration overflows (about 292 years), so a panel
// form cannot wrap the sandbox clock around or make a delay negative.
const (
	maxAdvance          = 10 * 365 * 24 * time.Hour
	maxClockOffset      = 100 * 365 * 24 * time.Hour
	maxPropagationDelay = 24 * time.Hour
)

// seconds parses a whole, non-negative number of seconds up to limit.
func seconds(s string, limit time.Duration) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("seconds: %q is not a whole number of seconds", s)
	}
	if most := int64(limit / time.Second); n > most {
		return 0, fmt.Errorf("seconds: %d is more than %d (%s)", n, most, limit)
	}
	return time.Duration(n) * time.Second, nil
}

func runAdvanceClock(x *execution) (string, error) {
	d, err := seconds(x.params["seconds"], maxAdvance)
	if err != nil {
		return "", err
	}
	var now time.Time
	err = x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		if tx.State.ClockOffset+d > maxClockOffset {
			return fmt.Errorf("the sandbox clock may not run more than 100 years ahead")
		}
		tx.State.ClockOffset += d
		now = tx.Now.Add(d)
		return nil
	})
	if err != nil {
		return "", err
	}
	return "sandbox clock moved " + d.String() + " ahead: now " + now.UTC().Format(time.RFC3339), nil
}

func runSetPropagationDelay(x *execution) (string, error) {
	d, err := seconds(x.params["seconds"], maxPropagationDelay)
	if err != nil {
		return "", err
	}
	err = x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		tx.State.PropagationDelay = d
		return nil
	})
	if err != nil {
		return "", err
	}
	return "role assignment changes now take " + d.String() + " to count", nil
}

// runDeletePrincipal deletes an app registration through Microsoft Graph
// as the owner (az ad app delete). Other principals (managed identities,
// users) have no Graph surface in the sandbox and are deleted directly.
func runDeletePrincipal(x *execution) (string, error) {
	label := x.params["principal"]
	if x.f.Real() {
		reg, ok := x.f.(principalRegistry)
		if !ok {
			return "", fmt.Errorf("this sandbox cannot delete app registrations in Azure")
		}
		p, err := x.f.Principal(label)
		if err != nil {
			return "", err
		}
		if err := reg.DeletePrincipal(x.ctx, x.r.currentOrigin(), label); err != nil {
			return "", err
		}
		return "deleted app registration " + label + " (appId " + p.AppID + ") and its service principal in Entra ID: its secrets and role assignments stop working", nil
	}
	var oid, appObjectID string
	var err error
	x.r.w.View(func(st *world.State) {
		var p *world.Principal
		if p, err = principalByLabel(st, label); err == nil {
			oid = p.ObjectID
			if p.Kind == world.KindApplication {
				appObjectID = p.AppObjectID
			}
		}
	})
	if err != nil {
		return "", err
	}
	if appObjectID != "" {
		err = x.graphCall("DELETE", "/applications/"+appObjectID, nil, nil)
	} else {
		err = x.r.w.Update(x.ctx, func(tx *world.Tx) error { return tx.DeletePrincipal(oid) })
	}
	if err != nil {
		return "", err
	}
	return "deleted service principal " + label + " (" + oid + "): its secrets and role assignments stop working", nil
}

// runCreateServicePrincipal does what az ad sp create-for-rbac does through
// Microsoft Graph as the owner: create the application, its service
// principal, then a password.
func runCreateServicePrincipal(x *execution) (string, error) {
	label, name := x.params["label"], x.params["name"]
	if x.f.Real() {
		reg, ok := x.f.(principalRegistry)
		if !ok {
			return "", fmt.Errorf("this sandbox cannot create app registrations in Azure")
		}
		p, err := reg.CreatePrincipal(x.ctx, x.r.currentOrigin(), label, name)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("appId %s, password %s (shown once; kept by the sandbox as %q, deleted with the sandbox)", p.AppID, mask(p.Secret), label), nil
	}
	var taken bool
	x.r.w.View(func(st *world.State) { _, taken = st.Labels[label] })
	if taken {
		return "", fmt.Errorf("label %q is already used", label)
	}
	var app struct {
		ID    string `json:"id"`
		AppID string `json:"appId"`
	}
	if err := x.graphCall("POST", "/applications", map[string]string{"displayName": name}, &app); err != nil {
		return "", err
	}
	var sp struct {
		ID string `json:"id"`
	}
	if err := x.graphCall("POST", "/servicePrincipals", map[string]string{"appId": app.AppID}, &sp); err != nil {
		return "", err
	}
	pw, err := x.graphAddPassword(app.ID, "rbac", scenario.SecretLifetime)
	if err != nil {
		return "", err
	}
	err = x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		if _, taken := tx.State.Labels[label]; taken {
			return fmt.Errorf("label %q is already used", label)
		}
		tx.State.Labels[label] = sp.ID
		tx.State.Keychain[label] = pw.SecretText
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("appId %s, password %s (shown once; kept in the sandbox keychain as %q)", app.AppID, mask(pw.SecretText), label), nil
}

// runCreateResourceGroup creates the group through ARM as the owner.
func runCreateResourceGroup(x *execution) (string, error) {
	cred, err := x.ownerCredential()
	if err != nil {
		return "", err
	}
	var sub string
	x.r.w.View(func(st *world.State) { sub = st.SubscriptionID })
	opts := arm.ClientOptions{ClientOptions: x.ownerOptions()}
	client, err := arm.NewClient("sandbox-lessons", "v1.0.0", cred, &opts)
	if err != nil {
		return "", err
	}
	name := x.params["name"]
	endpoint := armEndpoint + "/subscriptions/" + sub + "/resourcegroups/" + name + "?api-version=2021-04-01"
	req, err := azruntime.NewRequest(x.ctx, "PUT", endpoint)
	if err != nil {
		return "", err
	}
	if err := azruntime.MarshalAsJSON(req, map[string]string{"location": x.params["location"]}); err != nil {
		return "", err
	}
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		return "", err
	}
	if !azruntime.HasStatusCode(resp, 200, 201) {
		return "", azruntime.NewResponseError(resp)
	}
	return "resource group " + name + " created in " + x.params["location"], nil
}
