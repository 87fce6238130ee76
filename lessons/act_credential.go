package lessons

import (
	"cmp"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const goDefaultCredential = `credential, err := azidentity.NewDefaultAzureCredential(nil)`

const goClientSecretCredential = `credential, err := azidentity.NewClientSecretCredential(tenantID, clientID, clientSecret, nil)`

const goManagedIdentityCredential = `credential, err := azidentity.NewManagedIdentityCredential(nil)`

const goCLICredential = `credential, err := azidentity.NewAzureCLICredential(nil)`

func credentialActions() []*Action {
	return []*Action{
		{
			Name: "credential.default", Kind: BlockStep, Title: "Create DefaultAzureCredential",
			Go: goDefaultCredential, Impl: "runDefaultCredential", File: "act_credential.go",
			Mirrors: map[string]string{"azidentity.NewDefaultAzureCredential": "newDefaultAzureCredential"},
			Creates: ObjCredential, run: runDefaultCredential,
		},
		{
			Name: "credential.clientSecret", Kind: BlockStep, Title: "Create ClientSecretCredential",
			Params: []Param{
				{Name: "tenantId", Help: "directory (tenant) ID; default AZURE_TENANT_ID"},
				{Name: "clientId", Help: "application (client) ID; default AZURE_CLIENT_ID"},
				{Name: "clientSecret", Help: "client secret; default AZURE_CLIENT_SECRET"},
			},
			Go: goClientSecretCredential, Impl: "runClientSecretCredential", File: "act_credential.go",
			Creates: ObjCredential, run: runClientSecretCredential,
		},
		{
			Name: "credential.managedIdentity", Kind: BlockStep, Title: "Create ManagedIdentityCredential",
			Go: goManagedIdentityCredential, Impl: "runManagedIdentityCredential", File: "act_credential.go",
			Mirrors: map[string]string{"azidentity.NewManagedIdentityCredential": "newManagedIdentityCredential"},
			Creates: ObjCredential, run: runManagedIdentityCredential,
		},
		{
			Name: "credential.cli", Kind: BlockStep, Title: "Create AzureCLICredential (signed in as yourself)",
			Go: goCLICredential, Impl: "runCLICredential", File: "act_credential.go",
			Mirrors: map[string]string{"azidentity.NewAzureCLICredential": "newAzureCLICredential"},
			Creates: ObjCredential, run: runCLICredential,
		},
	}
}

// runDefaultCredential builds DefaultAzureCredential from the simulated
// environment. Like the SDK's constructor it sends nothing.
func runDefaultCredential(x *execution) (string, error) {
	credential, err := newDefaultAzureCredential(x.env, x.deps())
	if err != nil {
		return "", err
	}
	x.r.objects[ObjCredential] = credential
	return "credential = DefaultAzureCredential object (no request sent)", nil
}

// runClientSecretCredential builds the real azidentity credential.
func runClientSecretCredential(x *execution) (string, error) {
	tenantID := cmp.Or(x.params["tenantId"], x.env[EnvTenantID])
	clientID := cmp.Or(x.params["clientId"], x.env[EnvClientID])
	clientSecret := cmp.Or(x.params["clientSecret"], x.env[EnvClientSecret])
	credential, err := azidentity.NewClientSecretCredential(tenantID, clientID, clientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: x.options()})
	if err != nil {
		return "", err
	}
	x.r.objects[ObjCredential] = credential
	return fmt.Sprintf("credential = ClientSecretCredential for client %s (no request sent)", clientID), nil
}

func runManagedIdentityCredential(x *execution) (string, error) {
	credential, err := newManagedIdentityCredential(x.env, "", false, x.options())
	if err != nil {
		return "", err
	}
	x.r.objects[ObjCredential] = credential
	return fmt.Sprintf("credential = ManagedIdentityCredential using %s (no request sent)", credential.Source()), nil
}

func runCLICredential(x *execution) (string, error) {
	credential := newAzureCLICredential(x.deps(), false)
	x.r.objects[ObjCredential] = credential
	return "credential = AzureCLICredential (" + credential.describe() + "; no request sent)", nil
}
