package lessons

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// deployActions create the walkthrough's resources in a sandbox that starts
// empty (lesson 7 creates auth-scenario-rg itself first).
func deployActions() []*Action {
	return []*Action{{
		Name: "deployWalkthrough", Kind: BlockAction, Title: "Create the walkthrough's resources in auth-scenario-rg",
		CLI: "az keyvault create --name {vault} --resource-group {resourceGroup} --enable-rbac-authorization true\n" +
			"az keyvault secret set --vault-name {vault} --name {secretName} --value <the API's key>\n" +
			"az storage account create --name {storageAccount} --resource-group {resourceGroup}\n" +
			"az storage queue create --name " + scenario.QueueName + " --account-name {storageAccount}\n" +
			"az functionapp create --name {thirdPartySite} --resource-group {resourceGroup} ...\n" +
			"az webapp create --name {mainSite} --resource-group {resourceGroup} ...\n" +
			"az webapp config appsettings set --name {mainSite} --resource-group {resourceGroup} --settings KEY_VAULT_URL={vaultUrl} THIRD_PARTY_API_ENDPOINT={apiUrl} STORAGE_QUEUE_URL={queueUrl}",
		run: runDeployWalkthrough,
	}}
}

// runDeployWalkthrough creates the vault through ARM as the owner (ARM
// carries vaults in the sim) and the storage account, queue and both sites
// directly in the sandbox (the simulated ARM cannot create them). The main
// site starts without a managed identity, as `az webapp create` leaves it.
func runDeployWalkthrough(x *execution) (string, error) {
	var sub, tenant string
	var names scenario.Resources
	var hasRG bool
	x.r.w.View(func(st *world.State) {
		sub, tenant = st.SubscriptionID, st.TenantID
		names = scenario.ResourcesFor(st.Labels["suffix"])
		_, hasRG = st.ResourceGroups[strings.ToLower(scenario.ResourceGroup)]
	})
	if !hasRG {
		return "", fmt.Errorf("resource group %s not found: create it first (az group create)", scenario.ResourceGroup)
	}
	note, err := x.createVaultARM(sub, tenant, names.Vault)
	if err != nil {
		return "", err
	}
	err = x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		st := tx.State
		vault := st.Vault(names.Vault)
		if vault == nil {
			v, err := tx.NewVault(scenario.ResourceGroup, names.Vault, true)
			if err != nil {
				return err
			}
			vault = v
		}
		acct := st.StorageAccount(names.StorageAccount)
		if acct == nil {
			a, err := tx.NewStorageAccount(scenario.ResourceGroup, names.StorageAccount)
			if err != nil {
				return err
			}
			acct = a
		}
		if acct.Queues[scenario.QueueName] == nil {
			acct.Queues[scenario.QueueName] = &world.Queue{Name: scenario.QueueName}
		}
		api := st.Site(names.ThirdPartySite)
		if api == nil {
			a, err := tx.NewSite(scenario.ResourceGroup, names.ThirdPartySite, "functionapp")
			if err != nil {
				return err
			}
			api = a
		}
		if api.FunctionKeys["default"] == "" {
			api.FunctionKeys["default"] = world.RandomHex(20)
		}
		if vault.Secrets[scenario.SecretName] == nil {
			tx.SetSecret(vault, scenario.SecretName, api.FunctionKeys["default"])
		}
		main := st.Site(names.MainSite)
		if main == nil {
			m, err := tx.NewSite(scenario.ResourceGroup, names.MainSite, "app")
			if err != nil {
				return err
			}
			main = m
		}
		main.AppSettings["KEY_VAULT_URL"] = "https://" + vault.Name + ".vault.azure.net"
		main.AppSettings["THIRD_PARTY_API_ENDPOINT"] = "https://" + api.Name + ".azurewebsites.net/api/" + scenario.FunctionName
		main.AppSettings["STORAGE_QUEUE_URL"] = "https://" + acct.Name + ".queue.core.windows.net/" + scenario.QueueName
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("in %s: vault %s (Azure RBAC) holding %s, storage account %s with queue %s, function app %s (the third-party API), web app %s (no managed identity yet)%s",
		scenario.ResourceGroup, names.Vault, scenario.SecretName, names.StorageAccount, scenario.QueueName, names.ThirdPartySite, names.MainSite, note), nil
}

// createVaultARM sends the PUT `az keyvault create` sends. When the
// simulated ARM is not part of the build, the caller creates the vault.
func (x *execution) createVaultARM(sub, tenant, name string) (string, error) {
	cred, err := x.ownerCredential()
	if err != nil {
		return "", err
	}
	client, err := arm.NewClient("sandbox-lessons", "v1.0.0", cred, &arm.ClientOptions{ClientOptions: x.r.clientOptions()})
	if err != nil {
		return "", err
	}
	endpoint := "https://management.azure.com/subscriptions/" + sub + "/resourceGroups/" + scenario.ResourceGroup +
		"/providers/Microsoft.KeyVault/vaults/" + name + "?api-version=2023-07-01"
	req, err := azruntime.NewRequest(x.ctx, "PUT", endpoint)
	if err != nil {
		return "", err
	}
	body := map[string]any{
		"location": scenario.Location,
		"properties": map[string]any{
			"tenantId":                tenant,
			"sku":                     map[string]string{"family": "A", "name": "standard"},
			"enableRbacAuthorization": true,
		},
	}
	if err := azruntime.MarshalAsJSON(req, body); err != nil {
		return "", err
	}
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		return "", err
	}
	if resp.StatusCode == 501 {
		return "\n(the simulated ARM is not available: the vault was created in the sandbox directly)", nil
	}
	if !azruntime.HasStatusCode(resp, 200, 201) {
		return "", azruntime.NewResponseError(resp)
	}
	return "", nil
}
