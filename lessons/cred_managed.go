package lessons

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/google/uuid"
)

// managedIdentityCredential speaks the managed-identity protocols (App
// Service's IDENTITY_ENDPOINT + X-IDENTITY-HEADER, or IMDS) the way
// azidentity v1.15.0's ManagedIdentityCredential does, reading the source
// from the simulated environment.
//
// Why not azidentity.ManagedIdentityCredential: it picks its source from the
// server's own process environment (os.Getenv), and msal-go keeps
// managed-identity tokens in a package-level cache shared by every
// ManagedIdentityCredential in the process, so learner B would be handed
// learner A's token. This one keeps its token on the instance, per runner.
type managedIdentityCredential struct {
	client     *azcore.Client
	appService bool   // source: App Service; otherwise IMDS
	endpoint   string // IDENTITY_ENDPOINT (App Service)
	header     string // IDENTITY_HEADER (App Service)
	clientID   string // user-assigned identity's client ID, "" = system-assigned
	chained    bool   // in DefaultAzureCredential's chain

	mu     sync.Mutex
	probe  bool // DefaultAzureCredential's one-time IMDS probe is pending
	tokens map[string]azcore.AccessToken
}

const (
	imdsEndpoint         = "http://169.254.169.254/metadata/identity/oauth2/token"
	imdsAPIVersion       = "2018-02-01"
	appServiceAPIVersion = "2019-08-01"
	imdsProbeTimeout     = time.Second
	msalSKU              = "MSAL.Go"
	msalVersion          = "1.10.1"
	azidentityModule     = "azidentity"
	azidentityVersion    = "v1.15.0"
)

// newManagedIdentityCredential selects the source from env as msal-go's
// GetSource does. dac turns on the IMDS probe (azidentity does so only in a
// DefaultAzureCredential chain holding other credentials).
func newManagedIdentityCredential(env map[string]string, clientID string, dac bool, opts azcore.ClientOptions) (*managedIdentityCredential, error) {
	c := &managedIdentityCredential{clientID: clientID, chained: dac, tokens: map[string]azcore.AccessToken{}}
	if ep, h := env[EnvIdentityEndpoint], env[EnvIdentityHeader]; ep != "" && h != "" {
		c.appService, c.endpoint, c.header = true, ep, h
	} else {
		c.probe = dac
		setIMDSRetryDefaults(&opts.Retry)
	}
	client, err := azcore.NewClient(azidentityModule, azidentityVersion, azruntime.PipelineOptions{}, &opts)
	if err != nil {
		return nil, fmt.Errorf("lessons: managed identity: %w", err)
	}
	c.client = client
	return c, nil
}

// setIMDSRetryDefaults mirrors azidentity's setIMDSRetryOptionDefaults.
func setIMDSRetryDefaults(o *policy.RetryOptions) {
	if o.MaxRetries == 0 {
		o.MaxRetries = 6
	}
	if o.MaxRetryDelay == 0 {
		o.MaxRetryDelay = 25 * time.Second
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = 2 * time.Second
	}
	if o.StatusCodes == nil {
		o.StatusCodes = []int{404, 410, 429, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511}
	}
	if o.TryTimeout == 0 {
		o.TryTimeout = time.Minute
	}
}

// Source names the managed-identity source, as azidentity logs it.
func (c *managedIdentityCredential) Source() string {
	if c.appService {
		return "AppService"
	}
	return "IMDS"
}

// GetToken implements azcore.TokenCredential.
func (c *managedIdentityCredential) GetToken(ctx context.Context, tro policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(tro.Scopes) != 1 {
		return azcore.AccessToken{}, fmt.Errorf("%s.GetToken() requires exactly one scope", credNameManagedIdentity)
	}
	resource := strings.TrimSuffix(tro.Scopes[0], "/.default")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probe {
		if err := c.probeIMDS(ctx); err != nil {
			return azcore.AccessToken{}, err
		}
		c.probe = false
	}
	if tk, ok := c.tokens[resource]; ok && time.Until(tk.RefreshOn) > 0 {
		return tk, nil
	}
	tk, err := c.acquire(ctx, resource)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	c.tokens[resource] = tk
	return tk, nil
}

// probeIMDS is DefaultAzureCredential's first-call probe: any HTTP response
// means IMDS is there; a transport error or timeout makes the link
// unavailable so the chain moves on (a workstation has no IMDS).
func (c *managedIdentityCredential) probeIMDS(ctx context.Context) error {
	cx, cancel := context.WithTimeout(ctx, imdsProbeTimeout)
	defer cancel()
	cx = policy.WithRetryOptions(cx, policy.RetryOptions{MaxRetries: -1})
	req, err := azruntime.NewRequest(cx, http.MethodGet, imdsEndpoint)
	if err != nil {
		return fmt.Errorf("failed to create IMDS probe request: %s", err)
	}
	resp, err := c.client.Pipeline().Do(req)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			msg = "managed identity timed out. See https://aka.ms/azsdk/go/identity/troubleshoot#dac for more information"
		}
		return newUnavailable(credNameManagedIdentity, msg)
	}
	resp.Body.Close()
	return nil
}

func (c *managedIdentityCredential) request(ctx context.Context, resource string) (*policy.Request, error) {
	q := url.Values{}
	var endpoint string
	if c.appService {
		endpoint = c.endpoint
		q.Set("api-version", appServiceAPIVersion)
	} else {
		endpoint = imdsEndpoint
		q.Set("api-version", imdsAPIVersion)
	}
	q.Set("resource", resource)
	if c.clientID != "" {
		q.Set("client_id", c.clientID)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	base := u.Query()
	for k, v := range q {
		base[k] = v
	}
	u.RawQuery = base.Encode()
	req, err := azruntime.NewRequest(ctx, http.MethodGet, u.String())
	if err != nil {
		return nil, err
	}
	h := req.Raw().Header
	if c.appService {
		h.Set("X-IDENTITY-HEADER", c.header)
	} else {
		h.Set("Metadata", "true")
		h.Set("x-client-SKU", msalSKU)
		h.Set("x-client-Ver", msalVersion)
		h.Set("x-ms-client-request-id", uuid.NewString())
	}
	return req, nil
}

// acquire requests a token and maps failures as azidentity's
// managedIdentityClient.GetToken does.
func (c *managedIdentityCredential) acquire(ctx context.Context, resource string) (azcore.AccessToken, error) {
	req, err := c.request(ctx, resource)
	if err != nil {
		return azcore.AccessToken{}, newAuthFailed(credNameManagedIdentity, err.Error(), nil)
	}
	resp, err := c.client.Pipeline().Do(req)
	if err != nil {
		return azcore.AccessToken{}, newAuthFailed(credNameManagedIdentity, err.Error(), nil)
	}
	body, err := azruntime.Payload(resp)
	if err != nil {
		return azcore.AccessToken{}, newAuthFailed(credNameManagedIdentity, err.Error(), nil)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		if !c.appService {
			switch resp.StatusCode {
			case http.StatusBadRequest:
				if c.clientID != "" {
					return azcore.AccessToken{}, newAuthFailed(credNameManagedIdentity, "the requested identity isn't assigned to this resource", resp)
				}
				msg := "failed to authenticate a system assigned identity"
				if len(body) > 0 {
					msg += fmt.Sprintf(". The endpoint responded with %s", body)
				}
				return azcore.AccessToken{}, newUnavailable(credNameManagedIdentity, msg)
			case http.StatusForbidden:
				if strings.Contains(string(body), "unreachable") {
					return azcore.AccessToken{}, newUnavailable(credNameManagedIdentity, fmt.Sprintf("unexpected response %q", string(body)))
				}
			}
		}
		return azcore.AccessToken{}, newAuthFailed(credNameManagedIdentity, "", resp)
	}
	tk, err := parseMIToken(body)
	if err != nil {
		msg := fmt.Sprintf("error parsing the json error: %s", err)
		if c.chained && !c.appService {
			return azcore.AccessToken{}, newUnavailable(credNameManagedIdentity, msg)
		}
		return azcore.AccessToken{}, newAuthFailed(credNameManagedIdentity, msg, nil)
	}
	return tk, nil
}

// parseMIToken reads a managed-identity token response (numbers may be
// strings). Like MSAL, it refreshes at half the lifetime for long tokens and
// five minutes before expiry otherwise.
func parseMIToken(body []byte) (azcore.AccessToken, error) {
	var r struct {
		AccessToken string          `json:"access_token"`
		ExpiresOn   json.RawMessage `json:"expires_on"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return azcore.AccessToken{}, err
	}
	if r.AccessToken == "" {
		return azcore.AccessToken{}, errors.New("response has no access_token")
	}
	now := time.Now()
	var exp time.Time
	if n, ok := jsonInt(r.ExpiresOn); ok {
		exp = time.Unix(n, 0)
	} else if n, ok := jsonInt(r.ExpiresIn); ok {
		exp = now.Add(time.Duration(n) * time.Second)
	} else {
		return azcore.AccessToken{}, errors.New("response has no expires_on or expires_in")
	}
	refresh := exp.Add(-5 * time.Minute)
	if life := exp.Sub(now); life > 2*time.Hour {
		refresh = now.Add(life / 2)
	}
	return azcore.AccessToken{Token: r.AccessToken, ExpiresOn: exp.UTC(), RefreshOn: refresh.UTC()}, nil
}

func jsonInt(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
