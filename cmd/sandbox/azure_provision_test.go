package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/store"
)

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// network is how a real-mode server reaches the stand-in: its proxy, its CA.
func (s *standIn) network(t *testing.T) *http.Transport {
	t.Helper()
	pu, _ := url.Parse(s.sb.ProxyURL)
	pu.User = url.UserPassword(s.sb.ID, s.sb.ProxyPassword)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(pu)
	tr.TLSClientConfig = &tls.Config{RootCAs: caPool(t, s.sb.CACertURL)}
	return tr
}

func (s *standIn) provisioner(t *testing.T, db *store.DB, tr http.RoundTripper) (*azure.Provisioner, azure.Config) {
	t.Helper()
	cfg := azure.Config{Subscription: s.sb.SubscriptionID}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	owner := s.sb.Principals["owner"]
	cred, err := azidentity.NewClientSecretCredential(s.sb.TenantID, owner.ClientID, owner.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(&http.Client{Transport: tr})})
	if err != nil {
		t.Fatal(err)
	}
	p, err := azure.NewProvisioner(context.Background(), azure.ProvisionerConfig{
		Config: cfg, Credential: cred, Transport: tr, Store: db, Clock: wallClock{}})
	if err != nil {
		t.Fatal(err)
	}
	return p, cfg
}

// ownerClient is an unguarded client of the stand-in's subscription as its
// owner, to look at what provisioning did.
func (s *standIn) ownerClient(t *testing.T, tr http.RoundTripper) *azure.Client {
	t.Helper()
	ep, _ := azure.EndpointsOf("public")
	owner := s.sb.Principals["owner"]
	cred, err := azidentity.NewClientSecretCredential(s.sb.TenantID, owner.ClientID, owner.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(&http.Client{Transport: tr})})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azure.NewClient(ep, s.sb.SubscriptionID, cred, &http.Client{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func status(err error) int {
	if re, ok := azure.ResponseError(err); ok {
		return re.StatusCode
	}
	if err != nil {
		return -1
	}
	return 200
}

// A real-mode sandbox provisioned in the stand-in through its proxy: the
// tagged resource group, the RBAC vault with the API key, the storage
// account and its queue, localDev's app, service principal and working
// secret; changes outside the group refused before they leave; progress
// resumed after a restart; delete removes the group and the app; cleanup
// finds what tracking lost.
func TestProvisionAgainstStandIn(t *testing.T) {
	ctx := context.Background()
	s := newStandIn(t)
	tr := s.network(t)
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, cfg := s.provisioner(t, db, tr)
	oc := s.ownerClient(t, tr)

	first, err := p.Create(ctx, "sbxreal0001")
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != azure.StatusProvisioning || !strings.HasPrefix(first.ResourceGroup, "auth-sandbox-sbxreal0001-") {
		t.Fatalf("created %+v", first)
	}
	p.Wait()
	sb, ok := p.Get("sbxreal0001")
	if !ok || sb.Status != azure.StatusReady || len(sb.Done) != len(azure.Plan()) {
		t.Fatalf("after provisioning: %+v", sb)
	}

	t.Run("resources", func(t *testing.T) {
		var rg struct{ Tags map[string]string }
		if err := oc.ARM(ctx, "GET", sb.ResourceGroupID(), "2021-04-01", nil, &rg); err != nil || rg.Tags[azure.TagSandbox] != sb.ID {
			t.Errorf("resource group: %v %+v", err, rg)
		}
		var v struct {
			Properties struct{ EnableRbacAuthorization bool }
		}
		if err := oc.ARM(ctx, "GET", sb.VaultID(), "2023-07-01", nil, &v); err != nil || !v.Properties.EnableRbacAuthorization {
			t.Errorf("vault: %v %+v", err, v)
		}
		if err := oc.ARM(ctx, "GET", sb.StorageAccountID()+"/queueServices/default/queues/messages", "2023-05-01", nil, nil); err != nil {
			t.Errorf("queue: %v", err)
		}
		var app struct{ AppID, DisplayName string }
		if err := oc.Graph(ctx, "GET", "/applications/"+sb.LocalDev.ObjectID, nil, &app); err != nil ||
			app.AppID != sb.LocalDev.AppID || app.DisplayName != "auth-sandbox-sbxreal0001-localDev" {
			t.Errorf("app: %v %+v", err, app)
		}
		// localDev's secret works: Entra ID issues it a token.
		cred, err := azidentity.NewClientSecretCredential(sb.TenantID, sb.LocalDev.AppID, sb.LocalDev.Secret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(&http.Client{Transport: tr})})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}); err != nil {
			t.Errorf("localDev token: %v", err)
		}
	})

	t.Run("guard rail", func(t *testing.T) {
		c, err := p.Client(sb.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"properties": map[string]any{
			"roleDefinitionId": "/subscriptions/" + cfg.Subscription + "/providers/Microsoft.Authorization/roleDefinitions/" + roleKeyVaultSecretsUser,
			"principalId":      sb.LocalDev.SPObjectID, "principalType": "ServicePrincipal"}}
		outside := []string{
			"/subscriptions/" + cfg.Subscription,
			"/subscriptions/" + cfg.Subscription + "/resourceGroups/auth-scenario-rg",
			sb.ResourceGroupID() + "-other",
			sb.ResourceGroupID() + "/../auth-scenario-rg",
		}
		for _, scope := range outside {
			err := c.ARM(ctx, "PUT", scope+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString(), "2022-04-01", body, nil)
			var se *azure.ScopeError
			if !errors.As(err, &se) {
				t.Errorf("assignment at %s: %v, want a refusal", scope, err)
			}
		}
		if err := c.Graph(ctx, "DELETE", "/applications/"+uuid.NewString(), nil, nil); !errors.As(err, new(*azure.ScopeError)) {
			t.Errorf("deleting another app: %v, want a refusal", err)
		}
		for _, ex := range readTrace(t, s.m.URL(), s.sb) {
			if ex.Method == "PUT" && strings.Contains(ex.URL, "roleAssignments") {
				t.Errorf("a refused change reached the cloud: %s", ex)
			}
		}
		// Inside the group it goes through.
		if err := c.ARM(ctx, "PUT", sb.VaultID()+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString(), "2022-04-01", body, nil); err != nil {
			t.Errorf("assignment at the vault: %v", err)
		}
	})

	t.Run("resume after restart", func(t *testing.T) {
		// A sandbox whose provisioning stopped after its resource group.
		half, err := p.Create(ctx, "sbxreal0002")
		if err != nil {
			t.Fatal(err)
		}
		p.Wait()
		done, _ := p.Get("sbxreal0002")
		done.Status, done.Done = azure.StatusProvisioning, done.Done[:1]
		if err := db.PutAzureSandbox(ctx, half.Key, mustJSON(t, done)); err != nil {
			t.Fatal(err)
		}
		p2, _ := s.provisioner(t, db, tr)
		p2.Resume()
		p2.Wait()
		got, ok := p2.Get("sbxreal0002")
		if !ok || got.Status != azure.StatusReady || len(got.Done) != len(azure.Plan()) || got.LocalDev.Secret == "" {
			t.Errorf("resumed: %+v", got)
		}
		p = p2
	})

	t.Run("delete", func(t *testing.T) {
		if err := p.Delete(ctx, sb.ID); err != nil {
			t.Fatal(err)
		}
		p.Wait()
		if _, ok := p.Get(sb.ID); ok {
			t.Error("still tracked after delete")
		}
		if err := oc.ARM(ctx, "GET", sb.ResourceGroupID(), "2021-04-01", nil, nil); status(err) != http.StatusNotFound {
			t.Errorf("resource group after delete: %v", err)
		}
		if err := oc.Graph(ctx, "GET", "/applications/"+sb.LocalDev.ObjectID, nil, nil); status(err) != http.StatusNotFound {
			t.Errorf("app after delete: %v", err)
		}
		rows, _ := db.AzureSandboxes(ctx)
		if _, ok := rows[sb.Key]; ok {
			t.Error("still in the store after delete")
		}
	})

	t.Run("cleanup finds what tracking lost", func(t *testing.T) {
		// A lesson's app (lesson 5) is named for the sandbox: cleanup finds
		// it too.
		if _, err := p.CreateApp(ctx, "sbxreal0002", "myDev", "dev-me", nil, nil); err != nil {
			t.Fatal(err)
		}
		lost, _ := p.Get("sbxreal0002")
		if err := db.DeleteAzureSandbox(ctx, lost.Key); err != nil {
			t.Fatal(err)
		}
		left, err := azure.Leftovers(ctx, cfg, oc)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range left {
			if l.SandboxID != "sbxreal0002" {
				t.Errorf("leftover of another sandbox: %+v", l)
			}
			names = append(names, l.Kind+" "+l.Name)
		}
		if got := strings.Join(names, ", "); len(left) != 3 || !strings.Contains(got, "app registration "+cfg.ResourceGroupPrefix+"sbxreal0002-dev-me") ||
			!strings.Contains(got, "app registration "+cfg.ResourceGroupPrefix+"sbxreal0002-localDev") {
			t.Fatalf("leftovers = %s", got)
		}
		for _, l := range left {
			if err := azure.DeleteLeftover(ctx, oc, l); err != nil {
				t.Fatal(err)
			}
		}
		if left, err := azure.Leftovers(ctx, cfg, oc); err != nil || len(left) != 0 {
			t.Errorf("after cleanup: %v %+v", err, left)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
