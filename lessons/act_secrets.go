package lessons

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

const goNewSecretClient = `client, err := azsecrets.NewClient(vaultURL, credential, nil)`

const goGetSecret = `resp, err := client.GetSecret(ctx, secretName, "", nil)
apiKey := *resp.Value`

const goSetSecret = `_, err := client.SetSecret(ctx, secretName, azsecrets.SetSecretParameters{Value: &value}, nil)`

func secretActions() []*Action {
	vault := Param{Name: "vaultUrl", Help: "the vault's URL", Default: "{vaultUrl}"}
	name := Param{Name: "secretName", Help: "the secret's name", Default: "{secretName}"}
	return []*Action{
		{
			Name: "secrets.newClient", Kind: BlockStep, Title: "Create the Key Vault SecretClient",
			Params: []Param{vault}, Go: goNewSecretClient, Impl: "runNewSecretClient", File: "act_secrets.go",
			Creates: ObjSecretClient, Needs: []string{ObjCredential}, run: runNewSecretClient,
		},
		{
			Name: "secrets.get", Kind: BlockStep, Title: "Get a secret",
			Params: []Param{name}, Go: goGetSecret, Impl: "runGetSecret", File: "act_secrets.go",
			Creates: ObjAPIKey, Needs: []string{ObjSecretClient}, run: runGetSecret,
		},
		{
			Name: "secrets.set", Kind: BlockStep, Title: "Set a secret",
			Params: []Param{name, {Name: "value", Help: "the new value", Required: true}},
			Go:     goSetSecret, Impl: "runSetSecret", File: "act_secrets.go",
			Needs: []string{ObjSecretClient}, run: runSetSecret,
		},
	}
}

func runNewSecretClient(x *execution) (string, error) {
	credential, err := object[azcore.TokenCredential](x, ObjCredential, "create the credential")
	if err != nil {
		return "", err
	}
	vaultURL := x.params["vaultUrl"]
	client, err := azsecrets.NewClient(vaultURL, credential, &azsecrets.ClientOptions{ClientOptions: x.options()})
	if err != nil {
		return "", err
	}
	x.r.objects[ObjSecretClient] = client
	return "client = SecretClient for " + vaultURL + " (no request sent)", nil
}

func runGetSecret(x *execution) (string, error) {
	client, err := object[*azsecrets.Client](x, ObjSecretClient, "create the client")
	if err != nil {
		return "", err
	}
	secretName := x.params["secretName"]
	resp, err := client.GetSecret(x.ctx, secretName, "", nil)
	if err != nil {
		return "", err
	}
	if resp.Value == nil {
		return "", errNoValue
	}
	apiKey := *resp.Value
	x.r.objects[ObjAPIKey] = apiKey
	return secretName + " = " + mask(apiKey), nil
}

func runSetSecret(x *execution) (string, error) {
	client, err := object[*azsecrets.Client](x, ObjSecretClient, "create the client")
	if err != nil {
		return "", err
	}
	secretName, value := x.params["secretName"], x.params["value"]
	_, err = client.SetSecret(x.ctx, secretName, azsecrets.SetSecretParameters{Value: &value}, nil)
	if err != nil {
		return "", err
	}
	return secretName + " set to " + mask(value), nil
}
