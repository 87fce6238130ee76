package lessons

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// ObjToken is the access token a credential.getToken step obtained.
const ObjToken = "token"

const goGetToken = `token, err := credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})`

const goGetSecretWithToken = `req, err := http.NewRequestWithContext(ctx, http.MethodGet, vaultURL+"/secrets/"+secretName+"?api-version=7.5", nil)
req.Header.Set("Authorization", "Bearer "+token.Token)
resp, err := http.DefaultClient.Do(req)
body, err := io.ReadAll(resp.Body)`

// tokenActions let a lesson handle a token by hand: ask for one with any
// scope and present it to Key Vault without the SDK's help (the wrong
// audience drill).
func tokenActions() []*Action {
	return []*Action{
		{
			Name: "credential.getToken", Kind: BlockStep, Title: "Ask the credential for an access token",
			Params: []Param{{Name: "scope", Help: "the resource's scope, e.g. https://vault.azure.net/.default", Default: "https://vault.azure.net/.default"}},
			Go:     goGetToken, Impl: "runGetToken", File: "act_token.go",
			Creates: ObjToken, Needs: []string{ObjCredential}, run: runGetToken,
		},
		{
			Name: "secrets.getWithToken", Kind: BlockStep, Title: "Read a secret with a token you hold (no SDK)",
			Params: []Param{{Name: "vaultUrl", Help: "the vault's URL", Default: "{vaultUrl}"}, {Name: "secretName", Help: "the secret's name", Default: "{secretName}"}},
			Go:     goGetSecretWithToken, Impl: "runGetSecretWithToken", File: "act_token.go",
			Needs: []string{ObjToken}, run: runGetSecretWithToken,
		},
	}
}

func runGetToken(x *execution) (string, error) {
	credential, err := object[azcore.TokenCredential](x, ObjCredential, "create the credential")
	if err != nil {
		return "", err
	}
	scope := x.params["scope"]
	token, err := credential.GetToken(x.ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return "", err
	}
	x.r.objects[ObjToken] = token
	return fmt.Sprintf("token = an access token for %s, expires %s", scope, token.ExpiresOn.UTC().Format("15:04:05Z")), nil
}

// runGetSecretWithToken sends the token as it is: unlike the SDK's client,
// it does not answer Key Vault's challenge by asking for the right token.
func runGetSecretWithToken(x *execution) (string, error) {
	token, err := object[azcore.AccessToken](x, ObjToken, "get a token")
	if err != nil {
		return "", err
	}
	vaultURL, secretName := strings.TrimRight(x.params["vaultUrl"], "/"), x.params["secretName"]
	req, err := http.NewRequestWithContext(x.ctx, http.MethodGet, vaultURL+"/secrets/"+secretName+"?api-version=7.5", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token.Token)
	client := &http.Client{Transport: stepTransport{r: x.r, f: x.f}}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s/secrets/%s: %s: %s", vaultURL, secretName, resp.Status, strings.TrimSpace(string(body)))
	}
	return secretName + " read (" + fmt.Sprint(len(body)) + " bytes of JSON; value masked)", nil
}
