package scenario

import (
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Resources are the names of a sandbox's scenario resources, computed from
// its world in this one place. They hold whether or not the resources exist:
// the empty scenario's deploy lesson creates them under these names.
type Resources struct {
	// Suffix makes the globally unique names unique (world.State.Suffix).
	Suffix         string `json:"suffix"`
	Vault          string `json:"vault"`
	StorageAccount string `json:"storageAccount"`
	ThirdPartySite string `json:"thirdPartySite"`
	MainSite       string `json:"mainSite"`
	// VaultURL is https://{vault}.vault.azure.net.
	VaultURL string `json:"vaultUrl"`
	// QueueURL is the scenario queue's URL.
	QueueURL string `json:"queueUrl"`
	// ThirdPartyAPIURL is the third-party API function's URL.
	ThirdPartyAPIURL string `json:"thirdPartyApiUrl"`
}

// ResourcesOf returns the scenario names of the sandbox st is the world of.
func ResourcesOf(st *world.State) Resources { return resourcesFor(st.Suffix) }

func resourcesFor(sfx string) Resources {
	r := Resources{
		Suffix:         sfx,
		Vault:          "kv-auth-" + sfx,
		StorageAccount: "stauth" + sfx,
		ThirdPartySite: "thirdparty-api-" + sfx,
		MainSite:       "main-app-" + sfx,
	}
	r.VaultURL = service.VaultURL(r.Vault)
	r.QueueURL = service.QueueURL(r.StorageAccount, QueueName)
	r.ThirdPartyAPIURL = service.SiteURL(r.ThirdPartySite) + "/api/" + FunctionName
	return r
}

// AppSetting is one of an App Service site's app settings, in the shape ARM's
// siteConfig.appSettings has.
type AppSetting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AppSettings are the main app's settings naming the walkthrough's
// resources, as the source article configures them, in its order.
func (r Resources) AppSettings() []AppSetting {
	return []AppSetting{
		{"KEY_VAULT_URL", r.VaultURL},
		{"THIRD_PARTY_API_ENDPOINT", r.ThirdPartyAPIURL},
		{"STORAGE_QUEUE_URL", r.QueueURL},
	}
}

// Scope kinds: where lessons and the sandbox panel assign roles.
const (
	ScopeVault         = "vault"
	ScopeResourceGroup = "resourceGroup"
	ScopeSubscription  = "subscription"
	ScopeStorage       = "storage"
	ScopeQueue         = "queue"
)

// ScopeKinds lists the scope kinds, the default (the vault) first.
func ScopeKinds() []string {
	return []string{ScopeVault, ScopeResourceGroup, ScopeSubscription, ScopeStorage, ScopeQueue}
}

// Scope returns the ARM ID of a scope kind in st; ok is false when the kind
// is unknown or its resource does not exist. Call it inside World.View.
func Scope(st *world.State, kind string) (id string, ok bool) {
	id = scopeID(st, ResourcesOf(st), kind)
	return id, id != ""
}

// ScopeKind returns the kind whose ARM ID is id (case-insensitive), or ""
// when id is none of them. Call it inside World.View.
func ScopeKind(st *world.State, id string) string {
	names := ResourcesOf(st)
	for _, kind := range ScopeKinds() {
		if s := scopeID(st, names, kind); s != "" && strings.EqualFold(s, id) {
			return kind
		}
	}
	return ""
}

func scopeID(st *world.State, names Resources, kind string) string {
	switch kind {
	case ScopeSubscription:
		return st.SubscriptionScope()
	case ScopeResourceGroup:
		return st.ResourceGroupID(ResourceGroup)
	case ScopeVault:
		if v := st.Vault(names.Vault); v != nil {
			return st.VaultID(v)
		}
	case ScopeStorage:
		if a := st.StorageAccount(names.StorageAccount); a != nil {
			return st.StorageAccountID(a)
		}
	case ScopeQueue:
		if a := st.StorageAccount(names.StorageAccount); a != nil {
			return st.QueueScope(a, QueueName)
		}
	}
	return ""
}
