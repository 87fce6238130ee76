package world

import (
	"context"
	"encoding/base64"
	"strings"
)

// SubscriptionScope is the ARM ID of the subscription.
func (s *State) SubscriptionScope() string { return "/subscriptions/" + s.SubscriptionID }

// ResourceGroupID is the ARM ID of a resource group.
func (s *State) ResourceGroupID(rg string) string {
	return s.SubscriptionScope() + "/resourceGroups/" + rg
}

// VaultID is the ARM ID of a vault.
func (s *State) VaultID(v *Vault) string {
	return s.ResourceGroupID(v.ResourceGroup) + "/providers/Microsoft.KeyVault/vaults/" + v.Name
}

// SecretScope is the ARM ID of one secret of a vault (the scope Key Vault's
// RBAC checks data actions at).
func (s *State) SecretScope(v *Vault, name string) string {
	return s.VaultID(v) + "/secrets/" + name
}

// StorageAccountID is the ARM ID of a storage account.
func (s *State) StorageAccountID(a *StorageAccount) string {
	return s.ResourceGroupID(a.ResourceGroup) + "/providers/Microsoft.Storage/storageAccounts/" + a.Name
}

// QueueScope is the ARM ID of one queue of an account.
func (s *State) QueueScope(a *StorageAccount, queue string) string {
	return s.StorageAccountID(a) + "/queueServices/default/queues/" + queue
}

// SiteID is the ARM ID of an App Service site.
func (s *State) SiteID(site *Site) string {
	return s.ResourceGroupID(site.ResourceGroup) + "/providers/Microsoft.Web/sites/" + site.Name
}

// UserAssignedIdentityID is the ARM ID of a user-assigned identity resource.
func (s *State) UserAssignedIdentityID(rg, name string) string {
	return s.ResourceGroupID(rg) + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name
}

// PrincipalByAppID finds a principal by client ID (case-insensitive).
func (s *State) PrincipalByAppID(appID string) *Principal {
	for _, p := range s.Principals {
		if p.AppID != "" && strings.EqualFold(p.AppID, appID) {
			return p
		}
	}
	return nil
}

// Vault returns a vault by name (case-insensitive), or nil.
func (s *State) Vault(name string) *Vault { return s.Vaults[strings.ToLower(name)] }

// StorageAccount returns a storage account by name, or nil.
func (s *State) StorageAccount(name string) *StorageAccount {
	return s.StorageAccounts[strings.ToLower(name)]
}

// Site returns a site by name, or nil.
func (s *State) Site(name string) *Site { return s.Sites[strings.ToLower(name)] }

// Origin says where a request to the simulated cloud comes from.
type Origin struct {
	// SandboxID is the calling learner's sandbox when it is known (the lesson
	// runner, or a proxy client that authenticated); empty otherwise.
	SandboxID string `json:"sandboxId,omitempty"`
	// Via is "runner" (in-process) or "proxy" (a learner's own program).
	Via string `json:"via"`
	// Site is the App Service site the code runs on; empty means the
	// developer's workstation (where IMDS is unreachable).
	Site string `json:"site,omitempty"`
	// Step labels the lesson step that made the request, for trace markers.
	Step string `json:"step,omitempty"`
}

type originKey struct{}

// WithOrigin returns a context carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the request's origin (zero Origin when none was set).
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

func encodeStd(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
