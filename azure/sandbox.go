package azure

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
)

// TagSandbox is the tag every real-mode resource group carries, valued
// with the sandbox ID: cleanup finds leftovers by it.
const TagSandbox = "auth-sandbox-id"

// Names of the scenario's objects that are the same in every sandbox.
const (
	SecretName  = "third-party-api-key"
	QueueName   = "messages"
	LocalDevApp = "localDev"
)

// Status of a real-mode sandbox.
const (
	StatusProvisioning = "provisioning"
	StatusReady        = "ready"
	StatusFailed       = "failed"
	StatusDeleting     = "deleting"
)

// Sandbox is one real-mode sandbox: where its resources are and how far
// provisioning (or deletion) got. It is saved after every step, so a
// restart resumes where it stopped.
type Sandbox struct {
	// ID is the sandbox's ID; Key is how it is tracked (the ID, or for
	// the resources a reset retired, the ID and a random tail).
	ID             string `json:"id"`
	Key            string `json:"key"`
	Subscription   string `json:"subscription"`
	TenantID       string `json:"tenantId,omitempty"`
	Location       string `json:"location"`
	ResourceGroup  string `json:"resourceGroup"`
	Vault          string `json:"vault"`
	StorageAccount string `json:"storageAccount"`
	LocalDev       App    `json:"localDev"`
	// Apps are the app registrations lessons created (CreateApp), each
	// recorded before Graph creates it and kept until Azure confirms its
	// deletion, so delete, reset and cleanup remove them.
	Apps      []App     `json:"apps,omitempty"`
	APIKey    string    `json:"apiKey"`
	Status    string    `json:"status"`
	Done      []string  `json:"done"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// App is an app registration of the sandbox with its service principal
// and secret.
type App struct {
	// Label is how lessons name it (localDev, myDev, …).
	Label       string `json:"label,omitempty"`
	DisplayName string `json:"displayName"`
	AppID       string `json:"appId,omitempty"`
	ObjectID    string `json:"objectId,omitempty"`
	SPObjectID  string `json:"spObjectId,omitempty"`
	Secret      string `json:"secret,omitempty"`
	SecretKeyID string `json:"secretKeyId,omitempty"`
}

// newSandbox names a sandbox's resources: the resource group from the
// prefix and the sandbox ID, the globally unique vault and storage account
// names from a random suffix (valid: 3-24 characters, a vault starting with
// a letter, a storage account lower-case letters and digits only).
// The resource group's name ends with a random tail, so a reset's new
// group never waits for the old one's deletion.
func newSandbox(cfg Config, id string, now time.Time) *Sandbox {
	suffix := randomHex(5)
	return &Sandbox{
		ID: id, Key: id, Subscription: cfg.Subscription, Location: cfg.Location,
		ResourceGroup:  cfg.ResourceGroupPrefix + id + "-" + suffix[:4],
		Vault:          "kv-auth-" + suffix,
		StorageAccount: "stauth" + suffix,
		LocalDev:       App{DisplayName: cfg.ResourceGroupPrefix + id + "-" + LocalDevApp},
		APIKey:         randomHex(16),
		Status:         StatusProvisioning,
		CreatedAt:      now, UpdatedAt: now,
	}
}

// ResourceGroupID is the ARM ID of the sandbox's resource group.
func (s *Sandbox) ResourceGroupID() string {
	return "/subscriptions/" + s.Subscription + "/resourceGroups/" + s.ResourceGroup
}

// VaultID is the ARM ID of the sandbox's key vault.
func (s *Sandbox) VaultID() string {
	return s.ResourceGroupID() + "/providers/Microsoft.KeyVault/vaults/" + s.Vault
}

// StorageAccountID is the ARM ID of the sandbox's storage account.
func (s *Sandbox) StorageAccountID() string {
	return s.ResourceGroupID() + "/providers/Microsoft.Storage/storageAccounts/" + s.StorageAccount
}

// done reports whether provisioning step name finished.
func (s *Sandbox) done(name string) bool {
	for _, d := range s.Done {
		if d == name {
			return true
		}
	}
	return false
}

// Progress is how many of the provisioning steps finished, of how many.
func (s *Sandbox) Progress() (done, total int) { return len(s.Done), len(provisionSteps) }

// ScopeError is a change refused before it left the server: its scope is
// outside the sandbox's resource group and app registrations.
type ScopeError struct {
	Method, URL string
	Sandbox     string
	Reason      string
}

// NonRetriable tells azcore's retry policy not to send it again.
func (*ScopeError) NonRetriable() {}

func (e *ScopeError) Error() string {
	return fmt.Sprintf("azure: refused %s %s: %s (sandbox %s)", e.Method, e.URL, e.Reason, e.Sandbox)
}

// inResourceGroup reports whether an ARM path (a resource, a role
// assignment at a scope, an access policy) lies inside the sandbox's
// resource group. The path is cleaned first and encoded slashes refused,
// so "..", "//" or "%2F" cannot step outside.
func (s *Sandbox) inResourceGroup(u *url.URL) bool {
	if u.RawPath != "" && u.RawPath != u.EscapedPath() || strings.Contains(u.Path, "..") || strings.Contains(strings.ToLower(u.RawPath), "%2f") {
		return false
	}
	p := strings.ToLower(path.Clean("/" + u.Path))
	rg := strings.ToLower(s.ResourceGroupID())
	return p == rg || strings.HasPrefix(p, rg+"/")
}

// ownsGraphObject reports whether a Graph path addresses the sandbox's own
// app registration or service principal.
func (s *Sandbox) ownsGraphObject(u *url.URL) bool {
	if strings.Contains(u.Path, "..") || u.RawPath != "" {
		return false
	}
	segs := strings.Split(strings.Trim(path.Clean(u.Path), "/"), "/")
	if len(segs) < 3 { // v1.0/{collection}/{id}
		return false
	}
	coll, id := strings.ToLower(segs[1]), segs[2]
	for _, a := range append([]App{s.LocalDev}, s.Apps...) {
		switch coll {
		case "applications":
			if a.ObjectID != "" && strings.EqualFold(id, a.ObjectID) {
				return true
			}
		case "serviceprincipals":
			if a.SPObjectID != "" && strings.EqualFold(id, a.SPObjectID) {
				return true
			}
		}
	}
	return false
}

// AppNamePrefix starts the name of every app registration of the sandbox:
// the resource group prefix, the sandbox ID and a dash. Cleanup finds them
// by it.
func (s *Sandbox) AppNamePrefix() string {
	return strings.TrimSuffix(s.LocalDev.DisplayName, LocalDevApp)
}

// ownsAppID reports whether appID is one of the sandbox's app registrations.
func (s *Sandbox) ownsAppID(appID string) bool {
	for _, a := range append([]App{s.LocalDev}, s.Apps...) {
		if a.AppID != "" && strings.EqualFold(a.AppID, appID) {
			return true
		}
	}
	return false
}

// App returns the app registration labelled label (localDev included).
func (s *Sandbox) App(label string) (App, bool) {
	if label == LocalDevApp {
		return s.LocalDev, true
	}
	for _, a := range s.Apps {
		if a.Label == label {
			return a, true
		}
	}
	return App{}, false
}

// VaultURL is the vault's data-plane URL in the cloud of ep.
func (s *Sandbox) VaultURL(ep Endpoints) string { return "https://" + s.Vault + ep.VaultSuffix }

// QueueURL is the messages queue's URL in the cloud of ep.
func (s *Sandbox) QueueURL(ep Endpoints) string {
	return "https://" + s.StorageAccount + ep.QueueSuffix + "/" + QueueName
}
