package lessons

import (
	"maps"
	"slices"
	"strings"
)

// scopeNames name a scope kind for a learner.
var scopeNames = map[string]string{"vault": "the vault", "resourceGroup": "the resource group", "subscription": "the subscription",
	"storage": "the storage account", "queue": "the queue", "": "the vault"}

// Describe says in words what a sandbox action with its parameters does,
// for markers and the lesson's setup ("Assign Key Vault Secrets User to
// localDev on the vault"), never the action's internal name.
func Describe(action string, params map[string]string) string {
	p := func(k string) string { return params[k] }
	switch action {
	case "assignRole":
		return "Assign " + p("role") + " to " + p("principal") + " on " + scopeNames[p("scope")]
	case "removeRole":
		return "Remove " + p("role") + " from " + p("principal") + " on " + scopeNames[p("scope")]
	case "setSiteIdentity":
		if p("state") == "on" {
			return "Turn the site's managed identity on"
		}
		return "Turn the site's managed identity off"
	case "setPropagationDelay":
		if p("seconds") == "0" {
			return "Make role assignment changes count at once"
		}
		return "Make role assignment changes take " + p("seconds") + " seconds to count"
	case "advanceClock":
		return "Move the sandbox clock " + p("seconds") + " seconds ahead"
	case "createResourceGroup":
		return "Create the resource group " + p("name")
	case "setVaultModel":
		if p("model") == "accessPolicy" {
			return "Switch the vault to access policies"
		}
		return "Switch the vault to Azure RBAC"
	case "useCredential":
		return map[string]string{CredLocalDev: "Put localDev's values in the workstation's environment",
			CredNone: "Remove every credential from the workstation", CredDeveloper: "Sign in to the Azure CLI as yourself"}[p("credential")]
	}
	a := actionsByName()[action]
	if a == nil {
		return action
	}
	if len(params) == 0 {
		return a.Title
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		parts = append(parts, k+" "+params[k])
	}
	return a.Title + " (" + strings.Join(parts, ", ") + ")"
}

// What a sandbox action changes (Affects), so the page can say who acted
// or what changed instead of where code ran.
const (
	AffectsCloud       = "cloud"       // resources or the directory, through ARM or Microsoft Graph, as the owner
	AffectsWorkstation = "workstation" // the workstation's environment or sign-in
	AffectsSite        = "site"        // the App Service site's app settings
	AffectsPlace       = "place"       // where the code runs
	AffectsSimulation  = "simulation"  // the sandbox's clock or its propagation delay
)

// Affects says what running the action changes.
func Affects(action string) string {
	switch action {
	case "setEnv", "useWrongSecret", "useCredential", "useServicePrincipal":
		return AffectsWorkstation
	case "putCredentialInAppSettings", "removeCredentialFromAppSettings":
		return AffectsSite
	case "runOn":
		return AffectsPlace
	case "advanceClock", "setPropagationDelay":
		return AffectsSimulation
	}
	return AffectsCloud
}
