// Package world holds the state of each simulated Azure world (one per learner
// sandbox): its tenant, subscription, principals, resources and role
// assignments, and the registry that maps Azure's globally unique names (vaults,
// storage accounts, sites, tenants) to the world that owns them.
//
// State is plain data that serializes to JSON, so a sandbox survives a restart
// exactly; World wraps it with a lock, an index for RBAC and a clock.
package world

import (
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

// Principal kinds.
const (
	KindApplication    = "application"    // app registration + its service principal
	KindSystemAssigned = "systemAssigned" // system-assigned managed identity of a site
	KindUserAssigned   = "userAssigned"   // user-assigned managed identity resource
	KindUser           = "user"
	KindGroup          = "group"
)

// State is the whole simulated world of one sandbox.
type State struct {
	ID             string `json:"id"`
	TenantID       string `json:"tenantId"`
	TenantName     string `json:"tenantName"`   // display name, e.g. "Contoso Learning"
	TenantDomain   string `json:"tenantDomain"` // e.g. "sbx1a2b3c.onmicrosoft.com"
	SubscriptionID string `json:"subscriptionId"`
	Subscription   string `json:"subscriptionName"`
	Location       string `json:"location"` // default region, e.g. "eastus"
	Scenario       string `json:"scenario"`
	// Suffix makes the scenario's globally unique resource names unique
	// (see scenario.ResourcesOf).
	Suffix string `json:"suffix,omitempty"`

	// SecretKey keys the hash of client secrets and identity headers; it is
	// never shown.
	SecretKey []byte `json:"secretKey"`

	// ClockOffset moves this sandbox's clock ahead of the real one.
	ClockOffset time.Duration `json:"clockOffset"`
	// PropagationDelay is how long a role assignment change takes to count.
	PropagationDelay time.Duration `json:"propagationDelay"`

	Principals      map[string]*Principal      `json:"principals"`      // by object ID
	ResourceGroups  map[string]*ResourceGroup  `json:"resourceGroups"`  // by lower-case name
	Vaults          map[string]*Vault          `json:"vaults"`          // by lower-case name
	StorageAccounts map[string]*StorageAccount `json:"storageAccounts"` // by lower-case name
	Sites           map[string]*Site           `json:"sites"`           // by lower-case name

	RoleAssignments []rbac.Assignment     `json:"roleAssignments"`
	CustomRoles     []rbac.RoleDefinition `json:"customRoles"`

	// Keychain holds the secret values the learner was shown once (label →
	// value): what a developer copies into environment variables. Entra itself
	// keeps only hashes (Principal.Secrets).
	Keychain map[string]string `json:"keychain"`

	// Labels names principals the scenario created for a purpose, e.g.
	// "owner", "localDev", "developer" → object ID.
	Labels map[string]string `json:"labels"`
}

// Principal is a service principal (of an app or a managed identity), a user
// or a group.
type Principal struct {
	ObjectID    string `json:"objectId"`
	Kind        string `json:"kind"` // one of the Kind* constants
	DisplayName string `json:"displayName"`
	// AppID is the client ID; empty for users and groups.
	AppID string `json:"appId,omitempty"`
	// AppObjectID is the application object's ID (apps only).
	AppObjectID string `json:"appObjectId,omitempty"`
	// Secrets are the client secrets of an app registration.
	Secrets []*ClientSecret `json:"secrets,omitempty"`
	// ResourceID is the ARM ID a managed identity belongs to: the site for a
	// system-assigned identity, the identity resource for a user-assigned one.
	// It becomes the xms_mirid claim.
	ResourceID string `json:"resourceId,omitempty"`
	// UserPrincipalName and PasswordHash are for users.
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	PasswordHash      string `json:"passwordHash,omitempty"`
	// Members are object IDs of a group's members.
	Members   []string  `json:"members,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Type is the ARM principalType of the principal.
func (p *Principal) Type() string {
	switch p.Kind {
	case KindUser:
		return "User"
	case KindGroup:
		return "Group"
	default:
		return "ServicePrincipal"
	}
}

// ClientSecret is a password credential of an app registration. The value is
// shown once at creation and kept only as a keyed hash, as in Entra ID.
type ClientSecret struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName"`
	Hint        string    `json:"hint"` // first three characters
	Hash        string    `json:"hash"` // hex HMAC-SHA256 under State.SecretKey
	StartDate   time.Time `json:"startDateTime"`
	EndDate     time.Time `json:"endDateTime"`
}

// ResourceGroup is an ARM resource group.
type ResourceGroup struct {
	Name     string            `json:"name"`
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// Vault is a Key Vault with its secrets.
type Vault struct {
	Name          string `json:"name"`
	ResourceGroup string `json:"resourceGroup"`
	Location      string `json:"location"`
	// EnableRbacAuthorization picks the permission model: true = Azure RBAC,
	// false = access policies.
	EnableRbacAuthorization bool               `json:"enableRbacAuthorization"`
	AccessPolicies          []AccessPolicy     `json:"accessPolicies"`
	SoftDeleteRetentionDays int                `json:"softDeleteRetentionInDays"`
	Secrets                 map[string]*Secret `json:"secrets"`        // by lower-case name
	DeletedSecrets          map[string]*Secret `json:"deletedSecrets"` // by lower-case name
}

// AccessPolicy grants an object ID permissions on a vault (access-policy model).
type AccessPolicy struct {
	TenantID    string            `json:"tenantId"`
	ObjectID    string            `json:"objectId"`
	Permissions PolicyPermissions `json:"permissions"`
}

// PolicyPermissions lists permission names per object type, as ARM spells them
// ("get", "list", "set", "delete", "all", ...).
type PolicyPermissions struct {
	Keys         []string `json:"keys"`
	Secrets      []string `json:"secrets"`
	Certificates []string `json:"certificates"`
}

// Secret is a Key Vault secret with its versions, oldest first.
type Secret struct {
	Name     string           `json:"name"`
	Versions []*SecretVersion `json:"versions"`
	// DeletedAt and ScheduledPurge are set while the secret is soft-deleted.
	DeletedAt      *time.Time `json:"deletedDate,omitempty"`
	ScheduledPurge *time.Time `json:"scheduledPurgeDate,omitempty"`
}

// SecretVersion is one version of a secret.
type SecretVersion struct {
	Version     string            `json:"version"` // 32 lower-case hex characters
	Value       string            `json:"value"`
	ContentType string            `json:"contentType,omitempty"`
	Enabled     bool              `json:"enabled"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
	NotBefore   *time.Time        `json:"nbf,omitempty"`
	Expires     *time.Time        `json:"exp,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// StorageAccount is a storage account with its queues.
type StorageAccount struct {
	Name          string            `json:"name"`
	ResourceGroup string            `json:"resourceGroup"`
	Location      string            `json:"location"`
	AccountKey    string            `json:"accountKey"` // base64, for Shared Key
	Queues        map[string]*Queue `json:"queues"`     // by name (queue names are lower case)
}

// Queue is a storage queue.
type Queue struct {
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata,omitempty"`
	// Messages are in insertion order. Add appends; anything else that adds
	// a message or changes one's ExpirationTime must call Reset.
	Messages []*Message `json:"messages"`
	// expiryFloor: no message in Messages expires before it (the zero time:
	// not known), so PurgeExpired need not look at each message on every
	// call. Not stored: a loaded queue starts not knowing.
	expiryFloor time.Time
}

// Message is a queue message.
type Message struct {
	ID              string    `json:"id"`
	Text            string    `json:"text"`
	InsertionTime   time.Time `json:"insertionTime"`
	ExpirationTime  time.Time `json:"expirationTime"`
	PopReceipt      string    `json:"popReceipt"`
	TimeNextVisible time.Time `json:"timeNextVisible"`
	DequeueCount    int       `json:"dequeueCount"`
}

// Site is a compute resource code runs on: an App Service web app or
// function app, or (Kind "vm") a virtual machine, the only kind that reaches
// IMDS.
type Site struct {
	Name          string `json:"name"`
	ResourceGroup string `json:"resourceGroup"`
	Location      string `json:"location"`
	Kind          string `json:"kind"` // "app", "functionapp" or "vm"
	// SystemIdentity is the object ID of the system-assigned managed identity;
	// empty when it is off.
	SystemIdentity string `json:"systemIdentity,omitempty"`
	// UserIdentities are object IDs of user-assigned identities attached.
	UserIdentities []string `json:"userIdentities,omitempty"`
	// IdentityHeader is the value App Service puts in IDENTITY_HEADER for code
	// running on this site; it also tells the sim which site is calling.
	IdentityHeader string `json:"identityHeader"`
	// FunctionKeys protect a function app's HTTP functions (name → key).
	FunctionKeys map[string]string `json:"functionKeys,omitempty"`
	// AppSettings are the site's environment variables.
	AppSettings map[string]string `json:"appSettings,omitempty"`
}
