package lessons

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// deployActions create the walkthrough's resources in a sandbox that starts
// empty (lesson 7 creates auth-scenario-rg itself first).
func deployActions() []*Action {
	return []*Action{{
		Name: "deployWalkthrough", Kind: BlockAction, Title: "Create the walkthrough's resources in auth-scenario-rg",
		CLI: "az keyvault create --name {vault} --resource-group {resourceGroup} --enable-rbac-authorization true\n" +
			"az role assignment create --assignee <owner> --role \"Key Vault Secrets Officer\" --scope <vault>\n" +
			"az storage account create --name {storageAccount} --resource-group {resourceGroup} --kind StorageV2 --sku Standard_LRS\n" +
			"az storage queue create --name " + scenario.QueueName + " --account-name {storageAccount} --auth-mode login\n" +
			"az functionapp create --name {thirdPartySite} --resource-group {resourceGroup} ...\n" +
			"az functionapp keys list --name {thirdPartySite} --resource-group {resourceGroup}\n" +
			"az keyvault secret set --vault-name {vault} --name {secretName} --value <the API's default key>\n" +
			"az webapp create --name {mainSite} --resource-group {resourceGroup} ...\n" +
			"az webapp config appsettings set --name {mainSite} --resource-group {resourceGroup} --settings KEY_VAULT_URL={vaultUrl} THIRD_PARTY_API_ENDPOINT={apiUrl} STORAGE_QUEUE_URL={queueUrl}",
		run: runDeployWalkthrough,
	}}
}

// API versions the deploy sends, those az sends.
const (
	apiKeyVault = "2023-07-01"
	apiStorage  = "2023-05-01"
	apiWeb      = "2023-12-01"
)

// deployer sends the deploy's requests to ARM as the sandbox owner.
type deployer struct {
	x     *execution
	pl    azruntime.Pipeline
	group string // ARM ID of auth-scenario-rg
}

// do sends one request and decodes a 200/201 answer into out (when not nil).
func (d *deployer) do(method, path, apiVersion string, body, out any) error {
	req, err := azruntime.NewRequest(d.x.ctx, method, armEndpoint+d.group+path+"?api-version="+apiVersion)
	if err != nil {
		return fmt.Errorf("lessons: deploy: %w", err)
	}
	if body != nil {
		if err := azruntime.MarshalAsJSON(req, body); err != nil {
			return fmt.Errorf("lessons: deploy: %w", err)
		}
	}
	resp, err := d.pl.Do(req)
	if err != nil {
		return err
	}
	if !azruntime.HasStatusCode(resp, http.StatusOK, http.StatusCreated) {
		return azruntime.NewResponseError(resp)
	}
	if out == nil {
		return nil
	}
	return azruntime.UnmarshalAsJSON(resp, out)
}

// runDeployWalkthrough creates the walkthrough's resources through ARM as
// the owner, the requests the az commands of the action send, so each one is
// in the trace. The API's key is read through ARM (the function app's host
// keys) and written to the vault through Key Vault's data plane, which needs
// a data role: the owner gives itself Key Vault Secrets Officer on the vault
// first, as anyone who creates an RBAC vault must. The main site starts
// without a managed identity, as `az webapp create` leaves it.
func runDeployWalkthrough(x *execution) (string, error) {
	var sub, tenant, ownerID string
	var names scenario.Resources
	var hasRG bool
	x.r.w.View(func(st *world.State) {
		sub, tenant, ownerID = st.SubscriptionID, st.TenantID, st.Labels[scenario.LabelOwner]
		names = scenario.ResourcesOf(st)
		_, hasRG = st.ResourceGroups[strings.ToLower(scenario.ResourceGroup)]
	})
	if !hasRG {
		return "", fmt.Errorf("resource group %s not found: create it first (az group create)", scenario.ResourceGroup)
	}
	cred, err := x.ownerCredential()
	if err != nil {
		return "", err
	}
	opts := &arm.ClientOptions{ClientOptions: x.ownerOptions()}
	client, err := arm.NewClient("sandbox-lessons", "v1.0.0", cred, opts)
	if err != nil {
		return "", fmt.Errorf("lessons: deploy: %w", err)
	}
	d := &deployer{x: x, pl: client.Pipeline(), group: "/subscriptions/" + sub + "/resourceGroups/" + scenario.ResourceGroup}

	vaultPath := "/providers/Microsoft.KeyVault/vaults/" + names.Vault
	var vault struct {
		ID string `json:"id"`
	}
	if err := d.do(http.MethodPut, vaultPath, apiKeyVault, map[string]any{
		"location": scenario.Location,
		"properties": map[string]any{
			"tenantId": tenant, "sku": map[string]string{"family": "A", "name": "standard"},
			"enableRbacAuthorization": true, "accessPolicies": []any{},
		},
	}, &vault); err != nil {
		return "", err
	}
	if err := grantOwnerSecretsOfficer(x, sub, ownerID, vault.ID, cred, opts); err != nil {
		return "", err
	}

	acct := "/providers/Microsoft.Storage/storageAccounts/" + names.StorageAccount
	if err := d.do(http.MethodPut, acct, apiStorage, map[string]any{
		"location": scenario.Location, "kind": "StorageV2", "sku": map[string]string{"name": "Standard_LRS"},
	}, nil); err != nil {
		return "", err
	}
	if err := d.do(http.MethodPut, acct+"/queueServices/default/queues/"+scenario.QueueName, apiStorage,
		map[string]any{"properties": map[string]any{"metadata": map[string]string{}}}, nil); err != nil {
		return "", err
	}

	apiPath := "/providers/Microsoft.Web/sites/" + names.ThirdPartySite
	if err := d.do(http.MethodPut, apiPath, apiWeb, map[string]any{"location": scenario.Location, "kind": "functionapp,linux"}, nil); err != nil {
		return "", err
	}
	var keys struct {
		FunctionKeys map[string]string `json:"functionKeys"`
	}
	if err := d.do(http.MethodPost, apiPath+"/host/default/listkeys", apiWeb, nil, &keys); err != nil {
		return "", err
	}
	apiKey := keys.FunctionKeys["default"]
	if apiKey == "" {
		return "", fmt.Errorf("lessons: deploy: function app %s has no default function key", names.ThirdPartySite)
	}
	if err := setSecret(x, names.VaultURL, apiKey, cred); err != nil {
		return "", err
	}

	if err := d.do(http.MethodPut, "/providers/Microsoft.Web/sites/"+names.MainSite, apiWeb, map[string]any{
		"location": scenario.Location, "kind": "app,linux",
		"properties": map[string]any{"siteConfig": map[string]any{"appSettings": names.AppSettings()}},
	}, nil); err != nil {
		return "", err
	}
	return fmt.Sprintf("in %s: vault %s (Azure RBAC) holding %s, storage account %s with queue %s, function app %s (the third-party API), web app %s (no managed identity yet)",
		scenario.ResourceGroup, names.Vault, scenario.SecretName, names.StorageAccount, scenario.QueueName, names.ThirdPartySite, names.MainSite), nil
}

// grantOwnerSecretsOfficer gives the owner the data role it needs to write
// the API's key into the new vault. One it already has is fine.
func grantOwnerSecretsOfficer(x *execution, sub, ownerID, vaultID string, cred azcore.TokenCredential, opts *arm.ClientOptions) error {
	client, err := armauthorization.NewRoleAssignmentsClient(sub, cred, opts)
	if err != nil {
		return fmt.Errorf("lessons: deploy: %w", err)
	}
	pt := armauthorization.PrincipalTypeServicePrincipal
	_, err = client.Create(x.ctx, vaultID, world.NewGUID(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			PrincipalID:      to.Ptr(ownerID),
			RoleDefinitionID: to.Ptr("/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + rbac.RoleKeyVaultSecretsOfficer),
			PrincipalType:    &pt,
		},
	}, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.ErrorCode == "RoleAssignmentExists" {
		return nil
	}
	return err
}

// setSecret stores the API's key in the vault as the owner (az keyvault
// secret set). With a role propagation delay the new role does not count
// yet: say so, since running the step again later succeeds.
func setSecret(x *execution, vaultURL, value string, cred azcore.TokenCredential) error {
	client, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: x.options()})
	if err != nil {
		return fmt.Errorf("lessons: deploy: %w", err)
	}
	_, err = client.SetSecret(x.ctx, scenario.SecretName, azsecrets.SetSecretParameters{Value: &value}, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w\nthe owner's Key Vault Secrets Officer role has not propagated yet: run this step again once it counts", err)
	}
	return err
}
