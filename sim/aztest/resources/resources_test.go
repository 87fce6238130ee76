package resources_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/aztest"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// az keyvault create/show/update/set-policy/delete-policy, and the secret
// commands: Debian's az 2.45 Key Vault data-plane module needs
// azure.keyvault.v7_0, which python3-azure does not ship, so it fails before
// sending; the same PUT/GET requests go out with `az rest`.
func TestAzKeyVault(t *testing.T) {
	t.Parallel()
	s := aztest.New(t, "sbx-az-kv")
	s.LoginOwner()
	owner := s.Principal(scenario.LabelOwner)
	localDev := s.Principal(scenario.LabelLocalDev)

	seq := s.LastSeq()
	kv := s.OK("keyvault", "show", "--name", s.Names.Vault)
	if aztest.Field(kv, "id") != s.VaultID() || aztest.Field(kv, "properties", "vaultUri") != "https://"+s.Names.Vault+".vault.azure.net/" ||
		aztest.Field(kv, "properties", "enableRbacAuthorization") != "true" {
		t.Errorf("show %v", kv)
	}
	// az finds the vault's group through ARM's resource list.
	aztest.Sent(t, s.Since(seq), "GET", "/resources?$filter=resourceType%20eq%20%27Microsoft.KeyVault%2Fvaults%27", http.StatusOK)
	s.Fails([]string{"not found"}, "keyvault", "show", "--name", "kv-nobody-made")

	name := "kv-learner-" + s.Names.Vault[len("kv-auth-"):]
	created := s.OK("keyvault", "create", "--name", name, "--resource-group", scenario.ResourceGroup, "--location", "eastus")
	pols := aztest.List(aztest.MapOf(aztest.MapOf(created)["properties"])["accessPolicies"])
	if aztest.Field(created, "name") != name || len(pols) != 1 || aztest.Field(pols[0], "objectId") != owner.ObjectID {
		t.Errorf("create %v", created)
	}

	withPolicy := s.OK("keyvault", "set-policy", "--name", name, "--object-id", localDev.ObjectID, "--secret-permissions", "get", "list")
	found := false
	for _, p := range aztest.List(aztest.MapOf(aztest.MapOf(withPolicy)["properties"])["accessPolicies"]) {
		if aztest.Field(p, "objectId") == localDev.ObjectID {
			found = true
			if perms := aztest.List(aztest.MapOf(aztest.MapOf(p)["permissions"])["secrets"]); len(perms) != 2 {
				t.Errorf("secret permissions %v", perms)
			}
		}
	}
	if !found {
		t.Errorf("set-policy %v", withPolicy)
	}
	after := s.OK("keyvault", "delete-policy", "--name", name, "--object-id", localDev.ObjectID)
	if l := aztest.List(aztest.MapOf(aztest.MapOf(after)["properties"])["accessPolicies"]); len(l) != 1 {
		t.Errorf("delete-policy left %v", l)
	}
	upd := s.OK("keyvault", "update", "--name", name, "--resource-group", scenario.ResourceGroup, "--enable-rbac-authorization", "true")
	if aztest.Field(upd, "properties", "enableRbacAuthorization") != "true" {
		t.Errorf("update %v", upd)
	}

	t.Run("secret commands: Debian's az fails before sending", func(t *testing.T) {
		s := s.With(t)
		seq := s.LastSeq()
		r := s.Run("keyvault", "secret", "show", "--vault-name", s.Names.Vault, "--name", scenario.SecretName)
		if r.Code == 0 || !strings.Contains(r.Stderr, "azure.keyvault.v7_0") {
			t.Errorf("Debian's az Key Vault data plane works now? Test the CLI itself:\n%s", r)
		}
		for _, ex := range s.Since(seq) {
			if strings.Contains(ex.URL, ".vault.azure.net") {
				t.Errorf("sent %s %s", ex.Method, ex.URL)
			}
		}
	})

	t.Run("secret set/show/list with az rest", func(t *testing.T) {
		s := s.With(t)
		vault := "https://" + s.Names.Vault + ".vault.azure.net"
		const kvAPI = "?api-version=7.4"
		// Owner on the subscription holds no data action: Key Vault says so.
		denied := s.Rest("GET", vault+"/secrets/"+scenario.SecretName+kvAPI, "", "https://vault.azure.net")
		if denied.Code == 0 || !strings.Contains(denied.Stderr, "ForbiddenByRbac") {
			t.Fatalf("without a data role: %s", denied)
		}
		s.Grant(rbac.RoleKeyVaultSecretsOfficer, owner.ObjectID, "ServicePrincipal", s.VaultID())
		set := s.RestOK("PUT", vault+"/secrets/learner-secret"+kvAPI, `{"value":"s3cr3t-value"}`, "https://vault.azure.net")
		if aztest.Field(set, "value") != "s3cr3t-value" || !strings.HasPrefix(aztest.Field(set, "id"), vault+"/secrets/learner-secret/") {
			t.Errorf("set %v", set)
		}
		s.AddSecret("s3cr3t-value")
		got := s.RestOK("GET", vault+"/secrets/learner-secret"+kvAPI, "", "https://vault.azure.net")
		if aztest.Field(got, "value") != "s3cr3t-value" {
			t.Errorf("show %v", got)
		}
		names := map[string]bool{}
		for _, it := range aztest.List(s.RestOK("GET", vault+"/secrets"+kvAPI, "", "https://vault.azure.net")["value"]) {
			names[aztest.Field(it, "id")] = true
		}
		if !names[vault+"/secrets/learner-secret"] || !names[vault+"/secrets/"+scenario.SecretName] {
			t.Errorf("list %v", names)
		}
		missing := s.Rest("GET", vault+"/secrets/no-such-secret"+kvAPI, "", "https://vault.azure.net")
		if missing.Code == 0 || !strings.Contains(missing.Stderr, "SecretNotFound") {
			t.Errorf("missing secret: %s", missing)
		}
	})
}

// az storage account show, az storage queue create and az storage message
// put/peek with --auth-mode login: the data plane checks the signed-in
// principal's data roles (Owner has none).
func TestAzStorage(t *testing.T) {
	t.Parallel()
	s := aztest.New(t, "sbx-az-st")
	s.LoginOwner()
	owner := s.Principal(scenario.LabelOwner)
	acct := s.Names.StorageAccount
	accountID := s.RGID() + "/providers/Microsoft.Storage/storageAccounts/" + acct

	for _, args := range [][]string{
		{"storage", "account", "show", "--name", acct},
	} {
		a := s.OK(args...)
		if aztest.Field(a, "id") != accountID || aztest.Field(a, "primaryEndpoints", "queue") != "https://"+acct+".queue.core.windows.net/" {
			t.Errorf("%v: %v", args, a)
		}
	}
	login := []string{"--account-name", acct, "--auth-mode", "login"}
	s.Fails([]string{"You do not have the required permissions"}, append([]string{"storage", "message", "peek", "--queue-name", scenario.QueueName}, login...)...)
	s.Grant(rbac.RoleStorageQueueDataContributor, owner.ObjectID, "ServicePrincipal", accountID)

	seq := s.LastSeq()
	if q := s.OK(append([]string{"storage", "queue", "create", "--name", "learner-queue"}, login...)...); aztest.Field(q, "created") != "true" {
		t.Errorf("queue create %v", q)
	}
	put := s.OK(append([]string{"storage", "message", "put", "--queue-name", "learner-queue", "--content", "hello from az"}, login...)...)
	if aztest.Field(put, "id") == "" || aztest.Field(put, "popReceipt") == "" {
		t.Errorf("put %v", put)
	}
	peek := aztest.List(s.OK(append([]string{"storage", "message", "peek", "--queue-name", "learner-queue"}, login...)...))
	if len(peek) != 1 || aztest.Field(peek[0], "content") != "hello from az" || aztest.Field(peek[0], "id") != aztest.Field(put, "id") {
		t.Errorf("peek %v", peek)
	}
	exs := s.Since(seq)
	aztest.Sent(t, exs, "PUT", acct+".queue.core.windows.net/learner-queue", http.StatusCreated)
	aztest.Sent(t, exs, "POST", "/learner-queue/messages", http.StatusCreated)
	if ex := aztest.Sent(t, exs, "GET", "/learner-queue/messages?peekonly=true", http.StatusOK); ex.Authz == nil || !ex.Authz.Allowed {
		t.Errorf("peek without an allowing decision: %+v", ex.Authz)
	}
	s.Fails([]string{"OutOfRangeInput"}, append([]string{"storage", "queue", "create", "--name", "ab"}, login...)...)
	s.Fails([]string{"not found"}, "storage", "account", "show", "--name", "stnobodymade")
}

// az webapp identity assign/show/remove and az webapp config appsettings
// set/list on the main app's site.
func TestAzWebApp(t *testing.T) {
	t.Parallel()
	s := aztest.New(t, "sbx-az-web")
	s.LoginOwner()
	site := s.Names.MainSite
	rg := []string{"--name", site, "--resource-group", scenario.ResourceGroup}
	mainApp := s.Principal(scenario.LabelMainApp)

	id := s.OK(append([]string{"webapp", "identity", "show"}, rg...)...)
	if aztest.Field(id, "principalId") != mainApp.ObjectID || aztest.Field(id, "type") != "SystemAssigned" || aztest.Field(id, "tenantId") != s.W.TenantID() {
		t.Errorf("identity show %v", id)
	}
	s.OK(append([]string{"webapp", "identity", "remove"}, rg...)...)
	if id := s.OK(append([]string{"webapp", "identity", "show"}, rg...)...); aztest.Field(id, "principalId") != "" {
		t.Errorf("after remove %v", id)
	}
	again := s.OK(append([]string{"webapp", "identity", "assign"}, rg...)...)
	if p := aztest.Field(again, "principalId"); p == "" || p == mainApp.ObjectID || aztest.Field(again, "type") != "SystemAssigned" {
		t.Errorf("assign: a new identity expected, got %v", again)
	}

	settings := func(v any) map[string]string {
		out := map[string]string{}
		for _, it := range aztest.List(v) {
			out[aztest.Field(it, "name")] = aztest.Field(it, "value")
		}
		return out
	}
	before := settings(s.OK(append([]string{"webapp", "config", "appsettings", "list"}, rg...)...))
	if before["KEY_VAULT_URL"] != "https://"+s.Names.Vault+".vault.azure.net" {
		t.Errorf("appsettings list %v", before)
	}
	seq := s.LastSeq()
	set := settings(s.OK(append([]string{"webapp", "config", "appsettings", "set", "--settings", "LEARNER=1", "GREETING=hello"}, rg...)...))
	if set["LEARNER"] != "1" || set["GREETING"] != "hello" || set["KEY_VAULT_URL"] != before["KEY_VAULT_URL"] {
		t.Errorf("appsettings set %v", set)
	}
	exs := s.Since(seq)
	aztest.Sent(t, exs, "POST", "/config/appsettings/list?", http.StatusOK)
	aztest.Sent(t, exs, "PUT", "/config/appsettings?", http.StatusOK)
	s.Fails([]string{"ResourceNotFound"}, "webapp", "identity", "show", "--name", "no-such-site", "--resource-group", scenario.ResourceGroup)
}
