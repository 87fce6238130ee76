package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/uuid"
)

// RoleKeyVaultSecretsUser is the built-in role that reads secret values.
const roleKeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6"

// sandboxInfo is the part of the API's sandbox the tests use.
type sandboxInfo struct {
	ID             string `json:"id"`
	AccessKey      string `json:"accessKey"`
	ProxyPassword  string `json:"proxyPassword"`
	TenantID       string `json:"tenantId"`
	SubscriptionID string `json:"subscriptionId"`
	ProxyURL       string `json:"proxyUrl"`
	CACertURL      string `json:"caCertUrl"`
	ResourceGroup  string `json:"resourceGroup"`
	KeyVaultURL    string `json:"keyVaultUrl"`
	SecretName     string `json:"secretName"`
	QueueURL       string `json:"queueUrl"`
	Principals     map[string]struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		ObjectID     string `json:"objectId"`
	} `json:"principals"`
}

// vaultID is the ARM ID of the sandbox's vault.
func (s sandboxInfo) vaultID() string {
	name := strings.TrimSuffix(strings.TrimPrefix(s.KeyVaultURL, "https://"), ".vault.azure.net")
	return "/subscriptions/" + s.SubscriptionID + "/resourceGroups/" + s.ResourceGroup +
		"/providers/Microsoft.KeyVault/vaults/" + name
}

// startMain runs the real server on 127.0.0.1:0 with dataDir.
func startMain(t *testing.T, dataDir string) *Main {
	t.Helper()
	m := NewMain(io.Discard, io.Discard, nil)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dataDir, "--log-level", "error"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// api calls the sandbox's JSON API, authenticated with key when given.
func api(t *testing.T, base, key, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	if res.StatusCode >= 300 && out != nil {
		t.Fatalf("%s %s = %d %s", method, path, res.StatusCode, data)
	}
	return res.StatusCode
}

func createSandbox(t *testing.T, base string) sandboxInfo {
	t.Helper()
	var sb sandboxInfo
	api(t, base, "", "POST", "/api/sandboxes", `{"scenario":"walkthrough"}`, &sb)
	return sb
}

// caPool downloads the proxy's root CA as a learner would.
func caPool(t *testing.T, caURL string) *x509.CertPool {
	t.Helper()
	res, err := http.Get(caURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	pem, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/x-pem-file" {
		t.Fatalf("ca.pem Content-Type %q", ct)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("ca.pem holds no certificate: %q", pem)
	}
	return pool
}

// proxyClient is what a learner's own program uses: the sandbox as its
// HTTPS proxy (with the sandbox's credentials) and its CA as the trust root.
func proxyClient(sb sandboxInfo, pool *x509.CertPool) *http.Client {
	pu, _ := url.Parse(sb.ProxyURL)
	pu.User = url.UserPassword(sb.ID, sb.ProxyPassword)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(pu)
	tr.TLSClientConfig.RootCAs = pool
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func clientOptions(c *http.Client) azcore.ClientOptions {
	// Retries only slow a failing test down.
	return azcore.ClientOptions{Transport: c, Retry: policy.RetryOptions{MaxRetries: -1}}
}

func credential(t *testing.T, sb sandboxInfo, label string, c *http.Client) *azidentity.ClientSecretCredential {
	t.Helper()
	p := sb.Principals[label]
	cred, err := azidentity.NewClientSecretCredential(sb.TenantID, p.ClientID, p.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(c)})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func roleAssignments(t *testing.T, sb sandboxInfo, cred azcore.TokenCredential, c *http.Client) *armauthorization.RoleAssignmentsClient {
	t.Helper()
	rc, err := armauthorization.NewRoleAssignmentsClient(sb.SubscriptionID, cred, &arm.ClientOptions{ClientOptions: clientOptions(c)})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// assignSecretsUser makes owner grant localDev "Key Vault Secrets User" on
// the vault through ARM and returns the assignment's name.
func assignSecretsUser(t *testing.T, ctx context.Context, sb sandboxInfo, rc *armauthorization.RoleAssignmentsClient) string {
	t.Helper()
	name := uuid.NewString()
	roleID := "/subscriptions/" + sb.SubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + roleKeyVaultSecretsUser
	pt := armauthorization.PrincipalTypeServicePrincipal
	res, err := rc.Create(ctx, sb.vaultID(), name, armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			PrincipalID:      ptr(sb.Principals["localDev"].ObjectID),
			RoleDefinitionID: &roleID,
			PrincipalType:    &pt,
		},
	}, nil)
	if err != nil {
		t.Fatalf("owner assigns Key Vault Secrets User: %v", err)
	}
	if res.ID == nil || !strings.HasSuffix(*res.ID, name) {
		t.Fatalf("assignment = %+v", res)
	}
	return name
}

func secretsClient(t *testing.T, sb sandboxInfo, cred azcore.TokenCredential, c *http.Client) *azsecrets.Client {
	t.Helper()
	sc, err := azsecrets.NewClient(sb.KeyVaultURL, cred, &azsecrets.ClientOptions{ClientOptions: clientOptions(c)})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func ptr[T any](v T) *T { return &v }

// exchange is the part of a trace entry the tests check.
type exchange struct {
	Seq            int64               `json:"seq"`
	Via            string              `json:"via"`
	Service        string              `json:"service"`
	Method         string              `json:"method"`
	URL            string              `json:"url"`
	Status         int                 `json:"status"`
	RequestHeaders map[string][]string `json:"requestHeaders"`
	Authz          *struct {
		Allowed bool   `json:"allowed"`
		Action  string `json:"action"`
	} `json:"authz"`
}

func (e exchange) String() string { return fmt.Sprintf("%s %s -> %d", e.Method, e.URL, e.Status) }

func readTrace(t *testing.T, base string, sb sandboxInfo) []exchange {
	t.Helper()
	var tr struct {
		Exchanges []exchange `json:"exchanges"`
	}
	api(t, base, sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace", "", &tr)
	return tr.Exchanges
}

// getJSON fetches a URL and decodes it (for the HAR).
func getRaw(t *testing.T, u, key string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	io.Copy(&buf, res.Body)
	return res, buf.Bytes()
}
