package lessons

import (
	"maps"
	"slices"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Azure CLI states on the simulated workstation.
const (
	CLINotInstalled = ""          // `az` is not on PATH
	CLISignedOut    = "signedOut" // installed, `az login` not run
	CLISignedIn     = "signedIn"  // signed in as the developer user
)

// Environment variable names the credentials read.
const (
	EnvTenantID         = "AZURE_TENANT_ID"
	EnvClientID         = "AZURE_CLIENT_ID"
	EnvClientSecret     = "AZURE_CLIENT_SECRET"
	EnvCertPath         = "AZURE_CLIENT_CERTIFICATE_PATH"
	EnvUsername         = "AZURE_USERNAME"
	EnvPassword         = "AZURE_PASSWORD"
	EnvFederatedToken   = "AZURE_FEDERATED_TOKEN_FILE"
	EnvTokenCredentials = "AZURE_TOKEN_CREDENTIALS"
	EnvIdentityEndpoint = "IDENTITY_ENDPOINT"
	EnvIdentityHeader   = "IDENTITY_HEADER"
	EnvMSIEndpoint      = "MSI_ENDPOINT"
)

// Place is where the learner's code runs and what that place provides. It
// is the simulated process environment: the runner never reads the server's
// own environment variables.
type Place struct {
	RunsOn string `json:"runsOn"` // RunsOnWorkstation or RunsOnSite
	// Site is the App Service site the code runs on (RunsOnSite).
	Site string `json:"site,omitempty"`
	// Env are the workstation's environment variables (editable). On a site
	// the environment is the site's app settings plus what App Service adds.
	Env map[string]string `json:"env"`
	// CLI is the Azure CLI state on the workstation.
	CLI string `json:"cli"`
	// CLIUser is the user signed in to the Azure CLI (label, e.g. developer).
	CLIUser string `json:"cliUser,omitempty"`
}

// Clone returns a deep copy.
func (p Place) Clone() Place {
	p.Env = maps.Clone(p.Env)
	if p.Env == nil {
		p.Env = map[string]string{}
	}
	return p
}

// DefaultPlace is where a lesson's code starts running: its runsOn and
// credential front matter applied to the sandbox.
func DefaultPlace(l *Lesson, st *world.State) Place {
	p := Place{RunsOn: RunsOnWorkstation, Env: map[string]string{}}
	if l != nil && l.RunsOn == RunsOnSite {
		p.RunsOn = RunsOnSite
		p.Site = scenario.ResourcesOf(st).MainSite
	}
	cred := CredLocalDev
	if l != nil && l.Credential != "" {
		cred = l.Credential
	}
	switch cred {
	case CredLocalDev:
		maps.Copy(p.Env, PrincipalEnv(st, scenario.LabelLocalDev))
	case CredDeveloper:
		p.CLI, p.CLIUser = CLISignedIn, scenario.LabelDeveloper
	}
	return p
}

// PrincipalEnv returns the three environment variables a developer sets to
// run as the service principal with the label (empty if it is gone).
func PrincipalEnv(st *world.State, label string) map[string]string {
	p := st.Principals[st.Labels[label]]
	if p == nil || p.AppID == "" {
		return map[string]string{}
	}
	return map[string]string{
		EnvTenantID:     st.TenantID,
		EnvClientID:     p.AppID,
		EnvClientSecret: st.Keychain[label],
	}
}

// Environ is the environment the code sees at p: on the workstation the
// editable variables; on a site its app settings plus IDENTITY_ENDPOINT and
// IDENTITY_HEADER when it has a managed identity (App Service sets them only
// then).
func (p Place) Environ(st *world.State) map[string]string {
	if p.RunsOn != RunsOnSite {
		return maps.Clone(p.Env)
	}
	env := map[string]string{}
	site := st.Site(p.Site)
	if site == nil {
		return env
	}
	maps.Copy(env, site.AppSettings)
	env["WEBSITE_SITE_NAME"] = site.Name
	if site.SystemIdentity != "" || len(site.UserIdentities) > 0 {
		env[EnvIdentityEndpoint] = entra.AppServiceIdentityEndpoint
		env[EnvIdentityHeader] = site.IdentityHeader
	}
	return env
}

// EnvNames returns the variable names of env, sorted (for display).
func EnvNames(env map[string]string) []string {
	return slices.Sorted(maps.Keys(env))
}
