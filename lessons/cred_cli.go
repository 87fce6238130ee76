package lessons

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// azureCLIClientID is the Azure CLI's well-known public client ID: `az login`
// signs users in through it.
const azureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// cliSignIn is the Azure CLI's state on the simulated workstation.
type cliSignIn struct {
	State    string // CLINotInstalled, CLISignedOut, CLISignedIn
	Username string // UPN of the signed-in user
	Password string
}

// azureCLICredential plays azidentity's AzureCLICredential on the simulated
// workstation.
//
// Why not azidentity.AzureCLICredential: it runs the `az` executable from the
// server's PATH with the server's own ~/.azure profile, which neither exists
// here nor can be separated per learner. Instead this credential does on the
// wire what a signed-in `az account get-access-token` would: ask the token
// endpoint for a token for the signed-in user (grant_type=password through
// the Azure CLI's client ID stands in for az's cached refresh token). Like
// az's own token cache, a token is reused until it nears expiry.
type azureCLICredential struct {
	client   *azcore.Client
	tenantID string
	signIn   cliSignIn
	inDAC    bool

	mu     sync.Mutex
	tokens map[string]azcore.AccessToken
}

func newAzureCLICredential(d credDeps, inDAC bool) *azureCLICredential {
	// the client is only used once signed in; its construction cannot fail
	// with a valid module version
	client, _ := azcore.NewClient(azidentityModule, azidentityVersion, azruntime.PipelineOptions{}, &d.options)
	return &azureCLICredential{client: client, tenantID: d.tenantID, signIn: d.cli, inDAC: inDAC, tokens: map[string]azcore.AccessToken{}}
}

func (c *azureCLICredential) describe() string {
	switch c.signIn.State {
	case CLISignedIn:
		return "the Azure CLI is signed in as " + c.signIn.Username
	case CLISignedOut:
		return "the Azure CLI is installed but nobody ran `az login`"
	default:
		return "the Azure CLI (az) is not installed here"
	}
}

// GetToken implements azcore.TokenCredential with azidentity's checks and
// error texts.
func (c *azureCLICredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 {
		return azcore.AccessToken{}, errors.New(credNameAzureCLI + ": GetToken() requires exactly one scope")
	}
	resource := strings.TrimSuffix(opts.Scopes[0], "/.default")
	var err error
	var tk azcore.AccessToken
	switch c.signIn.State {
	case CLINotInstalled:
		return azcore.AccessToken{}, newUnavailable(credNameAzureCLI, "executable not found on path")
	case CLISignedOut:
		err = newAuthFailed(credNameAzureCLI, "ERROR: Please run 'az login' to setup account.", nil)
	default:
		tk, err = c.token(ctx, resource)
	}
	if err != nil && c.inDAC {
		// azidentity's unavailableIfInDAC: let the chain try the next tool
		return azcore.AccessToken{}, &unavailableError{err.Error()}
	}
	return tk, err
}

func (c *azureCLICredential) token(ctx context.Context, resource string) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tk, ok := c.tokens[resource]; ok && time.Until(tk.ExpiresOn) > 5*time.Minute {
		return tk, nil
	}
	form := url.Values{
		"client_id":  {azureCLIClientID},
		"grant_type": {"password"},
		"username":   {c.signIn.Username},
		"password":   {c.signIn.Password},
		"scope":      {resource + "/.default offline_access openid profile"},
	}
	endpoint := "https://login.microsoftonline.com/" + c.tenantID + "/oauth2/v2.0/token"
	req, err := azruntime.NewRequest(ctx, http.MethodPost, endpoint)
	if err != nil {
		return azcore.AccessToken{}, newAuthFailed(credNameAzureCLI, err.Error(), nil)
	}
	body := form.Encode()
	if err := req.SetBody(streamString(body), "application/x-www-form-urlencoded"); err != nil {
		return azcore.AccessToken{}, newAuthFailed(credNameAzureCLI, err.Error(), nil)
	}
	resp, err := c.client.Pipeline().Do(req)
	if err != nil {
		return azcore.AccessToken{}, newAuthFailed(credNameAzureCLI, err.Error(), nil)
	}
	raw, err := azruntime.Payload(resp)
	if err != nil {
		return azcore.AccessToken{}, newAuthFailed(credNameAzureCLI, err.Error(), nil)
	}
	var r struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(raw, &r)
	if resp.StatusCode != http.StatusOK || r.AccessToken == "" {
		// az prints the service's description on stderr and exits 1
		desc, _, _ := strings.Cut(r.Description, "\r\n")
		if desc == "" {
			desc = fmt.Sprintf("token request failed with status %d", resp.StatusCode)
		}
		return azcore.AccessToken{}, newAuthFailed(credNameAzureCLI, "ERROR: "+desc, nil)
	}
	tk := azcore.AccessToken{Token: r.AccessToken, ExpiresOn: time.Now().Add(time.Duration(r.ExpiresIn) * time.Second).UTC()}
	c.tokens[resource] = tk
	return tk, nil
}
