package rbac

import (
	"slices"
	"strings"
)

// Built-in role definition GUIDs (the same in every Azure tenant).
const (
	RoleOwner                        = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	RoleContributor                  = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	RoleReader                       = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	RoleUserAccessAdministrator      = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	RoleRBACAdministrator            = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	RoleKeyVaultAdministrator        = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
	RoleKeyVaultContributor          = "f25e0fa2-a7c8-4377-a976-54943a77a395"
	RoleKeyVaultReader               = "21090545-7ca7-4776-b22c-e363652d74d2"
	RoleKeyVaultSecretsOfficer       = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
	RoleKeyVaultSecretsUser          = "4633458b-17de-408a-b874-0445c86b69e6"
	RoleStorageAccountContributor    = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
	RoleStorageQueueDataContributor  = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
	RoleStorageQueueDataReader       = "19e7f393-937e-4f77-808e-94535e297925"
	RoleStorageQueueMessageSender    = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"
	RoleStorageQueueMessageProcessor = "8a0f0c08-91a1-4084-bc3d-661d67233fed"
	RoleWebsiteContributor           = "de139f84-1756-47ae-9be6-808fbbe84772"
)

// Role types as ARM spells them.
const (
	BuiltInRole = "BuiltInRole"
	CustomRole  = "CustomRole"
)

// kvCommon is the control-plane set every Key Vault data role carries.
func kvCommon() []string {
	return []string{
		"Microsoft.Authorization/*/read",
		"Microsoft.Insights/alertRules/*",
		"Microsoft.Resources/deployments/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read",
		"Microsoft.Support/*",
		"Microsoft.KeyVault/checkNameAvailability/read",
		"Microsoft.KeyVault/deletedVaults/read",
		"Microsoft.KeyVault/locations/*/read",
		"Microsoft.KeyVault/vaults/*/read",
		"Microsoft.KeyVault/operations/read",
	}
}

const queues = "Microsoft.Storage/storageAccounts/queueServices/queues/"

const storageSuffix = " To learn which actions are required for a given data operation, see Permissions for calling data operations."

const kvRBACOnly = " Only works for key vaults that use the 'Azure role-based access control' permission model."

func builtin(id, name, desc string, actions, notActions, dataActions []string) RoleDefinition {
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return RoleDefinition{
		ID: id, RoleName: name, Description: desc, RoleType: BuiltInRole,
		Permissions: []Permission{{
			Actions: nz(actions), NotActions: nz(notActions),
			DataActions: nz(dataActions), NotDataActions: []string{},
		}},
		AssignableScopes: []string{"/"},
	}
}

// BuiltinRoles returns Azure's built-in roles the simulator knows, with their
// real GUIDs and permissions. Each call returns a fresh copy.
func BuiltinRoles() []RoleDefinition {
	return []RoleDefinition{
		builtin(RoleOwner, "Owner",
			"Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
			[]string{"*"}, nil, nil),
		builtin(RoleContributor, "Contributor",
			"Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
			[]string{"*"},
			[]string{
				"Microsoft.Authorization/*/Delete",
				"Microsoft.Authorization/*/Write",
				"Microsoft.Authorization/elevateAccess/Action",
				"Microsoft.Blueprint/blueprintAssignments/write",
				"Microsoft.Blueprint/blueprintAssignments/delete",
				"Microsoft.Compute/galleries/share/action",
				"Microsoft.Purview/consents/write",
				"Microsoft.Purview/consents/delete",
				"Microsoft.Resources/deploymentStacks/manageDenySetting/action",
				"Microsoft.Subscription/cancel/action",
				"Microsoft.Subscription/enable/action",
			}, nil),
		builtin(RoleReader, "Reader",
			"View all resources, but does not allow you to make any changes.",
			[]string{"*/read"}, nil, nil),
		builtin(RoleUserAccessAdministrator, "User Access Administrator",
			"Lets you manage user access to Azure resources.",
			[]string{"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"}, nil, nil),
		builtin(RoleRBACAdministrator, "Role Based Access Control Administrator",
			"Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
			[]string{
				"Microsoft.Authorization/roleAssignments/write",
				"Microsoft.Authorization/roleAssignments/delete",
				"*/read",
				"Microsoft.Support/*",
			}, nil, nil),
		builtin(RoleKeyVaultAdministrator, "Key Vault Administrator",
			"Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments."+kvRBACOnly,
			kvCommon(), nil, []string{"Microsoft.KeyVault/vaults/*"}),
		builtin(RoleKeyVaultContributor, "Key Vault Contributor",
			"Manage key vaults, but does not allow you to assign roles in Azure RBAC, and does not allow you to access secrets, keys, or certificates.",
			[]string{
				"Microsoft.Authorization/*/read",
				"Microsoft.Insights/alertRules/*",
				"Microsoft.KeyVault/*",
				"Microsoft.Resources/deployments/*",
				"Microsoft.Resources/subscriptions/resourceGroups/read",
				"Microsoft.Support/*",
			},
			[]string{
				"Microsoft.KeyVault/locations/deletedVaults/purge/action",
				"Microsoft.KeyVault/hsmPools/*",
				"Microsoft.KeyVault/managedHsms/*",
			}, nil),
		builtin(RoleKeyVaultReader, "Key Vault Reader",
			"Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material."+kvRBACOnly,
			kvCommon(), nil, []string{
				"Microsoft.KeyVault/vaults/*/read",
				"Microsoft.KeyVault/vaults/secrets/readMetadata/action",
			}),
		builtin(RoleKeyVaultSecretsOfficer, "Key Vault Secrets Officer",
			"Perform any action on the secrets of a key vault, except manage permissions."+kvRBACOnly,
			kvCommon(), nil, []string{"Microsoft.KeyVault/vaults/secrets/*"}),
		builtin(RoleKeyVaultSecretsUser, "Key Vault Secrets User",
			"Read secret contents."+kvRBACOnly,
			nil, nil, []string{
				"Microsoft.KeyVault/vaults/secrets/getSecret/action",
				"Microsoft.KeyVault/vaults/secrets/readMetadata/action",
			}),
		builtin(RoleStorageAccountContributor, "Storage Account Contributor",
			"Permits management of storage accounts. Provides access to the account key, which can be used to access data via Shared Key authorization.",
			[]string{
				"Microsoft.Authorization/*/read",
				"Microsoft.Insights/alertRules/*",
				"Microsoft.Insights/diagnosticSettings/*",
				"Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action",
				"Microsoft.ResourceHealth/availabilityStatuses/read",
				"Microsoft.Resources/deployments/*",
				"Microsoft.Resources/subscriptions/resourceGroups/read",
				"Microsoft.Storage/storageAccounts/*",
				"Microsoft.Support/*",
			}, nil, nil),
		builtin(RoleStorageQueueDataContributor, "Storage Queue Data Contributor",
			"Read, write, and delete Azure Storage queues and queue messages."+storageSuffix,
			[]string{queues + "delete", queues + "read", queues + "write"}, nil,
			[]string{queues + "messages/delete", queues + "messages/read", queues + "messages/write", queues + "messages/process/action"}),
		builtin(RoleStorageQueueMessageProcessor, "Storage Queue Data Message Processor",
			"Peek, retrieve, and delete a message from an Azure Storage queue."+storageSuffix,
			nil, nil, []string{queues + "messages/read", queues + "messages/process/action"}),
		builtin(RoleStorageQueueMessageSender, "Storage Queue Data Message Sender",
			"Add messages to an Azure Storage queue."+storageSuffix,
			nil, nil, []string{queues + "messages/add/action"}),
		builtin(RoleStorageQueueDataReader, "Storage Queue Data Reader",
			"Read and list Azure Storage queues and queue messages."+storageSuffix,
			[]string{queues + "read"}, nil, []string{queues + "messages/read"}),
		builtin(RoleWebsiteContributor, "Website Contributor",
			"Lets you manage websites (not web plans), but not access to them.",
			[]string{
				"Microsoft.Authorization/*/read",
				"Microsoft.Insights/alertRules/*",
				"Microsoft.Insights/components/*",
				"Microsoft.ResourceHealth/availabilityStatuses/read",
				"Microsoft.Resources/deployments/*",
				"Microsoft.Resources/subscriptions/resourceGroups/read",
				"Microsoft.Support/*",
				"Microsoft.Web/certificates/*",
				"Microsoft.Web/listSitesAssignedToHostName/read",
				"Microsoft.Web/serverFarms/join/action",
				"Microsoft.Web/serverFarms/read",
				"Microsoft.Web/sites/*",
			}, nil, nil),
	}
}

// RoleGUID returns the GUID of a role definition reference: a bare GUID or a
// full ID such as /subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}.
func RoleGUID(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// Role finds a role definition by GUID or full ID among the built-in roles and
// custom ones (case-insensitive). A built-in role comes as a fresh copy.
func Role(id string, custom []RoleDefinition) (RoleDefinition, bool) {
	g := RoleGUID(id)
	if r := builtinCatalog().byID[strings.ToLower(g)]; r != nil { // IDs are ASCII GUIDs
		return r.clone(), true
	}
	for _, r := range custom {
		if strings.EqualFold(r.ID, g) {
			return r, true
		}
	}
	return RoleDefinition{}, false
}

// RoleByName finds a role definition by its roleName (case-insensitive). A
// built-in role comes as a fresh copy.
func RoleByName(name string, custom []RoleDefinition) (RoleDefinition, bool) {
	for _, r := range builtinCatalog().all {
		if strings.EqualFold(r.RoleName, name) {
			return r.clone(), true
		}
	}
	for _, r := range custom {
		if strings.EqualFold(r.RoleName, name) {
			return r, true
		}
	}
	return RoleDefinition{}, false
}

// clone is a copy sharing no slice with r (empty slices stay empty, not
// nil: they are JSON arrays on the wire).
func (r RoleDefinition) clone() RoleDefinition {
	r.Permissions = slices.Clone(r.Permissions)
	for i := range r.Permissions {
		p := &r.Permissions[i]
		p.Actions, p.NotActions = slices.Clone(p.Actions), slices.Clone(p.NotActions)
		p.DataActions, p.NotDataActions = slices.Clone(p.DataActions), slices.Clone(p.NotDataActions)
	}
	r.AssignableScopes = slices.Clone(r.AssignableScopes)
	return r
}
