package lessons

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Link outcomes in a ChainReport.
const (
	LinkAnswered    = "answered"
	LinkUnavailable = "unavailable" // the chain moved on
	LinkFailed      = "failed"      // the chain stopped here
	LinkNotTried    = "not tried"
	LinkNotSelected = "not selected" // excluded by AZURE_TOKEN_CREDENTIALS
)

// ChainReport tells what DefaultAzureCredential did for one GetToken call:
// which link answered and why each earlier one was passed over.
type ChainReport struct {
	Scopes   []string     `json:"scopes"`
	Answered string       `json:"answered,omitempty"`
	Reused   bool         `json:"reused,omitempty"` // an earlier call picked the link
	Links    []LinkReport `json:"links"`
	Error    string       `json:"error,omitempty"`
}

// LinkReport is one credential of the chain.
type LinkReport struct {
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
	// Message is the credential's own error text.
	Message string `json:"message,omitempty"`
	// Why says it in plain words.
	Why string `json:"why,omitempty"`
}

// chainLink is one credential of the chain; cred is nil when its
// constructor failed (azidentity's defaultCredentialErrorReporter).
type chainLink struct {
	name    string
	cred    azcore.TokenCredential
	ctorErr error
	why     string // plain words about how it is configured
}

// defaultAzureCredential mirrors azidentity v1.15.0's DefaultAzureCredential
// (default_azure_credential.go + chained_token_credential.go) over the
// simulated environment instead of the server's process environment.
type defaultAzureCredential struct {
	all      []string // every link name, in chain order
	links    []chainLink
	onReport func(ChainReport)

	cond       *sync.Cond
	iterating  bool
	successful int // index into links; -1 until one answered
}

// credDeps is what credentials built by the runner need.
type credDeps struct {
	options  azcore.ClientOptions // Transport = the step transport
	tenantID string               // the sandbox's tenant (Azure CLI sign-in)
	cli      cliSignIn
	onReport func(ChainReport)
}

// newDefaultAzureCredential builds the chain from env, as
// azidentity.NewDefaultAzureCredential(nil) does from os.Environ.
func newDefaultAzureCredential(env map[string]string, d credDeps) (*defaultAzureCredential, error) {
	const (
		bEnv = 1 << iota
		bWorkload
		bMI
		bCLI
		bAzd
		bPwsh
	)
	selected := bEnv | bWorkload | bMI | bCLI | bAzd | bPwsh
	if atc, ok := env[EnvTokenCredentials]; ok {
		switch {
		case atc == "dev":
			selected = bCLI | bAzd | bPwsh
		case atc == "prod":
			selected = bEnv | bWorkload | bMI
		case strings.EqualFold(atc, credNameEnvironment):
			selected = bEnv
		case strings.EqualFold(atc, credNameWorkloadIdentity):
			selected = bWorkload
		case strings.EqualFold(atc, credNameManagedIdentity):
			selected = bMI
		case strings.EqualFold(atc, credNameAzureCLI):
			selected = bCLI
		case strings.EqualFold(atc, credNameAzureDevCLI):
			selected = bAzd
		case strings.EqualFold(atc, credNameAzurePowerShell):
			selected = bPwsh
		default:
			return nil, fmt.Errorf(`invalid %s value %q. Valid values are "dev", "prod", or the name of any credential type in the default chain. See https://aka.ms/azsdk/go/identity/docs#DefaultAzureCredential for more information`, EnvTokenCredentials, atc)
		}
	}
	c := &defaultAzureCredential{
		all:        []string{credNameEnvironment, credNameWorkloadIdentity, credNameManagedIdentity, credNameAzureCLI, credNameAzureDevCLI, credNameAzurePowerShell},
		onReport:   d.onReport,
		cond:       sync.NewCond(&sync.Mutex{}),
		successful: -1,
	}
	if selected&bEnv != 0 {
		cred, why, err := newEnvironmentCredential(env, d.options)
		if err != nil {
			why = "the environment does not hold a service principal's AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
		}
		c.links = append(c.links, chainLink{name: credNameEnvironment, cred: cred, ctorErr: err, why: why})
	}
	if selected&bWorkload != 0 {
		l := chainLink{name: credNameWorkloadIdentity}
		switch {
		case !has(env, EnvClientID):
			l.ctorErr = errors.New("no client ID specified. Check pod configuration or set ClientID in the options")
		case !has(env, EnvFederatedToken):
			l.ctorErr = errors.New("no token file specified. Check pod configuration or set TokenFilePath in the options")
		case !has(env, EnvTenantID):
			l.ctorErr = errors.New("no tenant ID specified. Check pod configuration or set TenantID in the options")
		default:
			l.cred = noFileCredential{path: env[EnvFederatedToken]}
		}
		l.why = "needs AZURE_FEDERATED_TOKEN_FILE, set only in Kubernetes pods with workload identity"
		c.links = append(c.links, l)
	}
	if selected&bMI != 0 {
		clientID := ""
		if id, ok := env[EnvClientID]; ok {
			clientID = id // azidentity uses AZURE_CLIENT_ID as a user-assigned client ID
		}
		mi, err := newManagedIdentityCredential(env, clientID, selected^bMI != 0, d.options)
		why := "no IDENTITY_ENDPOINT here, so it tries IMDS (169.254.169.254): only virtual machines have it, so nothing answers on a workstation or an App Service site"
		if err == nil && mi.appService {
			why = "IDENTITY_ENDPOINT and IDENTITY_HEADER are set: App Service gives this site a managed identity"
		}
		c.links = append(c.links, chainLink{name: credNameManagedIdentity, cred: mi, ctorErr: err, why: why})
	}
	if selected&bCLI != 0 {
		cli := newAzureCLICredential(d, true)
		c.links = append(c.links, chainLink{name: credNameAzureCLI, cred: cli, why: cli.describe()})
	}
	if selected&bAzd != 0 {
		c.links = append(c.links, chainLink{name: credNameAzureDevCLI, cred: notInstalled{credNameAzureDevCLI}, why: "the Azure Developer CLI (azd) is not installed here"})
	}
	if selected&bPwsh != 0 {
		c.links = append(c.links, chainLink{name: credNameAzurePowerShell, cred: notInstalled{credNameAzurePowerShell}, why: "Azure PowerShell is not installed here"})
	}
	return c, nil
}

func has(env map[string]string, k string) bool { _, ok := env[k]; return ok }

// newEnvironmentCredential mirrors azidentity.NewEnvironmentCredential over
// env. The client-secret case builds the real azidentity
// ClientSecretCredential, which does the token request.
func newEnvironmentCredential(env map[string]string, opts azcore.ClientOptions) (azcore.TokenCredential, string, error) {
	tenantID := env[EnvTenantID]
	if tenantID == "" {
		return nil, "", errors.New("missing environment variable AZURE_TENANT_ID")
	}
	clientID := env[EnvClientID]
	if clientID == "" {
		return nil, "", errors.New("missing environment variable " + EnvClientID)
	}
	if secret := env[EnvClientSecret]; secret != "" {
		cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
		if err != nil {
			return nil, "", err
		}
		return cred, "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are set: it signs in as that service principal (ClientSecretCredential)", nil
	}
	if path := env[EnvCertPath]; path != "" {
		return nil, "", fmt.Errorf(`failed to read certificate file "%s": open %s: no such file or directory`, path, path)
	}
	if user := env[EnvUsername]; user != "" {
		if pw := env[EnvPassword]; pw != "" {
			//nolint:staticcheck // deprecated in azidentity, still in its chain
			cred, err := azidentity.NewUsernamePasswordCredential(tenantID, clientID, user, pw, &azidentity.UsernamePasswordCredentialOptions{ClientOptions: opts})
			if err != nil {
				return nil, "", err
			}
			return cred, "AZURE_USERNAME and AZURE_PASSWORD are set: it signs in as that user", nil
		}
		return nil, "", errors.New("no value for AZURE_PASSWORD")
	}
	return nil, "", errors.New("incomplete environment variable configuration. Only AZURE_TENANT_ID and AZURE_CLIENT_ID are set")
}

// GetToken walks the chain as azidentity's ChainedTokenCredential does:
// the next link is tried only after "unavailable"; any other error stops the
// chain; after a success that link is used for every later call.
func (c *defaultAzureCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.cond.L.Lock()
	for {
		if c.successful >= 0 {
			l := c.links[c.successful]
			c.cond.L.Unlock()
			tk, err := l.cred.GetToken(ctx, opts)
			rep := ChainReport{Scopes: opts.Scopes, Reused: true}
			for i, x := range c.links {
				lr := LinkReport{Name: x.name, Outcome: LinkNotTried, Why: "an earlier call found " + l.name}
				if i == c.successful {
					lr = LinkReport{Name: x.name, Outcome: LinkAnswered, Why: "it answered an earlier call; the chain keeps using it"}
					if err != nil {
						lr.Outcome, lr.Message = LinkFailed, err.Error()
					}
				}
				rep.Links = append(rep.Links, lr)
			}
			if err == nil {
				rep.Answered = l.name
			} else {
				rep.Error = err.Error()
			}
			c.report(rep)
			return tk, err
		}
		if !c.iterating {
			c.iterating = true
			c.cond.L.Unlock()
			break
		}
		c.cond.Wait()
	}

	rep := ChainReport{Scopes: opts.Scopes}
	var (
		err        error
		errs       []error
		token      azcore.AccessToken
		successful = -1
	)
	for i, l := range c.links {
		if l.cred == nil {
			err = l.ctorErr
			if _, ok := err.(*unavailableError); !ok {
				err = newUnavailable(l.name, l.ctorErr.Error())
			}
		} else {
			token, err = l.cred.GetToken(ctx, opts)
		}
		if err == nil {
			successful = i
			rep.Answered = l.name
			rep.Links = append(rep.Links, LinkReport{Name: l.name, Outcome: LinkAnswered, Why: l.why})
			break
		}
		errs = append(errs, err)
		var unavailable *unavailableError
		if !errors.As(err, &unavailable) {
			rep.Links = append(rep.Links, LinkReport{Name: l.name, Outcome: LinkFailed, Message: err.Error(),
				Why: "it was configured but authentication failed, so the chain stops here"})
			break
		}
		rep.Links = append(rep.Links, LinkReport{Name: l.name, Outcome: LinkUnavailable, Message: err.Error(), Why: l.why})
	}
	rep.Links = c.untried(rep.Links)

	c.cond.L.Lock()
	c.successful = successful
	c.iterating = false
	c.cond.L.Unlock()
	c.cond.Broadcast()

	if err != nil {
		err = chainedError(errs, err)
		rep.Error = err.Error()
	}
	c.report(rep)
	return token, err
}

// untried completes a report with the links not reached or not selected.
func (c *defaultAzureCredential) untried(links []LinkReport) []LinkReport {
	seen := map[string]bool{}
	for _, l := range links {
		seen[l.Name] = true
	}
	inChain := map[string]bool{}
	for _, l := range c.links {
		inChain[l.name] = true
	}
	for _, name := range c.all {
		switch {
		case seen[name]:
		case inChain[name]:
			links = append(links, LinkReport{Name: name, Outcome: LinkNotTried, Why: "an earlier link answered or stopped the chain"})
		default:
			links = append(links, LinkReport{Name: name, Outcome: LinkNotSelected, Why: "AZURE_TOKEN_CREDENTIALS leaves it out"})
		}
	}
	return links
}

func (c *defaultAzureCredential) report(r ChainReport) {
	if c.onReport != nil {
		c.onReport(r)
	}
}

// chainedError builds the aggregated error exactly as azidentity's
// ChainedTokenCredential (named "DefaultAzureCredential") does.
func chainedError(errs []error, last error) error {
	msg := "failed to acquire a token.\nAttempted credentials:"
	for _, e := range errs {
		msg += fmt.Sprintf("\n\t%s", strings.ReplaceAll(e.Error(), "\n", "\n\t\t"))
	}
	var sdkFailed *azidentity.AuthenticationFailedError
	var ownFailed *authFailedError
	var unavailable *unavailableError
	switch {
	case errors.As(last, &sdkFailed):
		e := newAuthFailed(credNameDefault, msg, sdkFailed.RawResponse)
		e.omitResponse = true
		return e
	case errors.As(last, &ownFailed):
		e := newAuthFailed(credNameDefault, msg, ownFailed.RawResponse)
		e.omitResponse = true
		return e
	case errors.As(last, &unavailable):
		return newUnavailable(credNameDefault, msg)
	default:
		return newAuthFailed(credNameDefault, msg, responseOf(last))
	}
}

func responseOf(err error) *http.Response {
	var a *azidentity.AuthenticationFailedError
	if errors.As(err, &a) {
		return a.RawResponse
	}
	return nil
}

// notInstalled is a developer tool credential whose executable is not on
// the simulated PATH.
type notInstalled struct{ name string }

func (n notInstalled) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, newUnavailable(n.name, "executable not found on path")
}

// noFileCredential stands for WorkloadIdentityCredential when its variables
// are set: the simulated machine has no federated token file.
type noFileCredential struct{ path string }

func (n noFileCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, newAuthFailed(credNameWorkloadIdentity, fmt.Sprintf("failed to read token file %q: open %s: no such file or directory", n.path, n.path), nil)
}
