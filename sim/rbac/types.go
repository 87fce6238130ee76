// Package rbac is a pure-Go model of Azure role-based access control: role
// definitions, role assignments at ARM scopes, and an Authorize function that
// returns a decision explaining itself. It knows nothing of HTTP.
package rbac

import "time"

// Permission is one entry of a role definition's permissions array.
type Permission struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

// RoleDefinition mirrors the ARM roleDefinitions resource properties.
type RoleDefinition struct {
	// ID is the GUID (the ARM "name").
	ID               string       `json:"id"`
	RoleName         string       `json:"roleName"`
	Description      string       `json:"description"`
	RoleType         string       `json:"roleType"` // "BuiltInRole" or "CustomRole"
	Permissions      []Permission `json:"permissions"`
	AssignableScopes []string     `json:"assignableScopes"`
}

// Assignment mirrors the ARM roleAssignments resource properties.
type Assignment struct {
	// ID is the GUID (the ARM "name").
	ID               string    `json:"id"`
	Scope            string    `json:"scope"`
	RoleDefinitionID string    `json:"roleDefinitionId"` // GUID of the role definition
	PrincipalID      string    `json:"principalId"`
	PrincipalType    string    `json:"principalType"` // ServicePrincipal, User, Group
	Description      string    `json:"description,omitempty"`
	CreatedBy        string    `json:"createdBy,omitempty"`
	CreatedOn        time.Time `json:"createdOn"`
	UpdatedOn        time.Time `json:"updatedOn"`
	// EffectiveAt is when the assignment starts to count (CreatedOn plus the
	// sandbox's propagation delay).
	EffectiveAt time.Time `json:"effectiveAt"`
	// RemovedAt is set when the assignment was deleted but the deletion has
	// not yet propagated; it stops counting at RemovedAt.
	RemovedAt *time.Time `json:"removedAt,omitempty"`
}

// Principal is who is asking, as the engine needs to know it.
type Principal struct {
	ObjectID    string   `json:"objectId"`
	Type        string   `json:"type"` // ServicePrincipal, User, Group
	DisplayName string   `json:"displayName"`
	AppID       string   `json:"appId,omitempty"`
	Groups      []string `json:"groups,omitempty"` // object IDs of groups it belongs to
	// Deleted marks a principal that no longer exists in the directory: its
	// assignments stop matching.
	Deleted bool `json:"deleted,omitempty"`
}

// Request is one authorization question.
type Request struct {
	Principal Principal
	// Action is a control-plane action or a data action, e.g.
	// "Microsoft.KeyVault/vaults/secrets/getSecret/action".
	Action string
	// DataAction says which half of a role's permissions may grant Action.
	DataAction bool
	// Scope is the ARM resource ID the action targets.
	Scope string
	// Now is the sandbox clock's time, used for propagation delay.
	Now time.Time
}

// Considered explains why one assignment did or did not grant the request.
type Considered struct {
	AssignmentID string `json:"assignmentId"`
	RoleID       string `json:"roleId"`
	RoleName     string `json:"roleName"`
	Scope        string `json:"scope"`
	PrincipalID  string `json:"principalId"`
	Matched      bool   `json:"matched"`
	// Reason is a short code: "granted", "other-principal",
	// "principal-deleted", "scope-not-ancestor", "role-lacks-action",
	// "excluded-by-not-actions", "not-yet-effective", "removal-propagated",
	// "unknown-role".
	Reason string `json:"reason"`
	// Explanation is the plain-words sentence for the learner.
	Explanation string `json:"explanation"`
}

// Suggestion is the smallest built-in role assignment that would allow the
// request.
type Suggestion struct {
	RoleID      string `json:"roleId"`
	RoleName    string `json:"roleName"`
	Scope       string `json:"scope"`
	PrincipalID string `json:"principalId"`
	// CLI is the equivalent az command.
	CLI string `json:"cli"`
}

// Decision is the engine's answer, with its explanation. Access-policy
// decisions (Key Vault) reuse this shape with Model "accessPolicy".
type Decision struct {
	Model      string       `json:"model"` // "rbac" or "accessPolicy"
	Allowed    bool         `json:"allowed"`
	Principal  Principal    `json:"principal"`
	Action     string       `json:"action"`
	DataAction bool         `json:"dataAction"`
	Scope      string       `json:"scope"`
	Matched    *Considered  `json:"matched,omitempty"`
	Considered []Considered `json:"considered"`
	Suggestion *Suggestion  `json:"suggestion,omitempty"`
	// Summary is one sentence for the learner.
	Summary string `json:"summary"`
}
