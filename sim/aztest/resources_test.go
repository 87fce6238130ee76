package aztest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// az keyvault create/show/update/set-policy/delete-policy, and the secret
// commands: Debian's az 2.45 Key Vault data-plane module needs
// azure.keyvault.v7_0, which python3-azure does not ship, so it fails before
// sending; the same PUT/GET requests go out with `az rest`.
func TestAzKeyVault(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, "sbx-az-kv")
	s.loginOwner()
	owner := s.principal(scenario.LabelOwner)
	localDev := s.principal(scenario.LabelLocalDev)

	seq := s.lastSeq()
	kv := s.ok("keyvault", "show", "--name", s.names.Vault)
	if field(kv, "id") != s.vaultID() || field(kv, "properties", "vaultUri") != "https://"+s.names.Vault+".vault.azure.net/" ||
		field(kv, "properties", "enableRbacAuthorization") != "true" {
		t.Errorf("show %v", kv)
	}
	// az finds the vault's group through ARM's resource list.
	sent(t, s.since(seq), "GET", "/resources?$filter=resourceType%20eq%20%27Microsoft.KeyVault%2Fvaults%27", http.StatusOK)
	s.fails([]string{"not found"}, "keyvault", "show", "--name", "kv-nobody-made")

	name := "kv-learner-" + s.names.Vault[len("kv-auth-"):]
	created := s.ok("keyvault", "create", "--name", name, "--resource-group", scenario.ResourceGroup, "--location", "eastus")
	pols := list(mapOf(mapOf(created)["properties"])["accessPolicies"])
	if field(created, "name") != name || len(pols) != 1 || field(pols[0], "objectId") != owner.ObjectID {
		t.Errorf("create %v", created)
	}
	s.fails([]string{"already exists"}, "keyvault", "create", "--name", s.names.Vault, "--resource-group", scenario.ResourceGroup, "--location", "eastus")

	withPolicy := s.ok("keyvault", "set-policy", "--name", name, "--object-id", localDev.ObjectID, "--secret-permissions", "get", "list")
	found := false
	for _, p := range list(mapOf(mapOf(withPolicy)["properties"])["accessPolicies"]) {
		if field(p, "objectId") == localDev.ObjectID {
			found = true
			if perms := list(mapOf(mapOf(p)["permissions"])["secrets"]); len(perms) != 2 {
				t.Errorf("secret permissions %v", perms)
			}
		}
	}
	if !found {
		t.Errorf("set-policy %v", withPolicy)
	}
	after := s.ok("keyvault", "delete-policy", "--name", name, "--object-id", localDev.ObjectID)
	if l := list(mapOf(mapOf(after)["properties"])["accessPolicies"]); len(l) != 1 {
		t.Errorf("delete-policy left %v", l)
	}
	upd := s.ok("keyvault", "update", "--name", name, "--resource-group", scenario.ResourceGroup, "--enable-rbac-authorization", "true")
	if field(upd, "properties", "enableRbacAuthorization") != "true" {
		t.Errorf("update %v", upd)
	}

	t.Run("secret commands: Debian's az fails before sending", func(t *testing.T) {
		s.t = t
		seq := s.lastSeq()
		r := s.run("keyvault", "secret", "show", "--vault-name", s.names.Vault, "--name", scenario.SecretName)
		if r.code == 0 || !strings.Contains(r.stderr, "azure.keyvault.v7_0") {
			t.Errorf("Debian's az Key Vault data plane works now? Test the CLI itself:\n%s", r)
		}
		for _, ex := range s.since(seq) {
			if strings.Contains(ex.URL, ".vault.azure.net") {
				t.Errorf("sent %s %s", ex.Method, ex.URL)
			}
		}
	})

	t.Run("secret set/show/list with az rest", func(t *testing.T) {
		s.t = t
		vault := "https://" + s.names.Vault + ".vault.azure.net"
		const kvAPI = "?api-version=7.4"
		// Owner on the subscription holds no data action: Key Vault says so.
		denied := s.rest("GET", vault+"/secrets/"+scenario.SecretName+kvAPI, "", "https://vault.azure.net")
		if denied.code == 0 || !strings.Contains(denied.stderr, "ForbiddenByRbac") {
			t.Fatalf("without a data role: %s", denied)
		}
		s.grant(rbac.RoleKeyVaultSecretsOfficer, owner.ObjectID, "ServicePrincipal", s.vaultID())
		set := s.restOK("PUT", vault+"/secrets/learner-secret"+kvAPI, `{"value":"s3cr3t-value"}`, "https://vault.azure.net")
		if field(set, "value") != "s3cr3t-value" || !strings.HasPrefix(field(set, "id"), vault+"/secrets/learner-secret/") {
			t.Errorf("set %v", set)
		}
		s.secrets = append(s.secrets, "s3cr3t-value")
		got := s.restOK("GET", vault+"/secrets/learner-secret"+kvAPI, "", "https://vault.azure.net")
		if field(got, "value") != "s3cr3t-value" {
			t.Errorf("show %v", got)
		}
		names := map[string]bool{}
		for _, it := range list(s.restOK("GET", vault+"/secrets"+kvAPI, "", "https://vault.azure.net")["value"]) {
			names[field(it, "id")] = true
		}
		if !names[vault+"/secrets/learner-secret"] || !names[vault+"/secrets/"+scenario.SecretName] {
			t.Errorf("list %v", names)
		}
		missing := s.rest("GET", vault+"/secrets/no-such-secret"+kvAPI, "", "https://vault.azure.net")
		if missing.code == 0 || !strings.Contains(missing.stderr, "SecretNotFound") {
			t.Errorf("missing secret: %s", missing)
		}
	})
}

// az storage account show, az storage queue create and az storage message
// put/peek with --auth-mode login: the data plane checks the signed-in
// principal's data roles (Owner has none).
func TestAzStorage(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, "sbx-az-st")
	s.loginOwner()
	owner := s.principal(scenario.LabelOwner)
	acct := s.names.StorageAccount
	accountID := s.rgID() + "/providers/Microsoft.Storage/storageAccounts/" + acct

	for _, args := range [][]string{
		{"storage", "account", "show", "--name", acct},
		{"storage", "account", "show", "--name", acct, "--resource-group", scenario.ResourceGroup},
	} {
		a := s.ok(args...)
		if field(a, "id") != accountID || field(a, "primaryEndpoints", "queue") != "https://"+acct+".queue.core.windows.net/" {
			t.Errorf("%v: %v", args, a)
		}
	}
	login := []string{"--account-name", acct, "--auth-mode", "login"}
	s.fails([]string{"You do not have the required permissions"}, append([]string{"storage", "message", "peek", "--queue-name", scenario.QueueName}, login...)...)
	s.grant(rbac.RoleStorageQueueDataContributor, owner.ObjectID, "ServicePrincipal", accountID)

	seq := s.lastSeq()
	if q := s.ok(append([]string{"storage", "queue", "create", "--name", "learner-queue"}, login...)...); field(q, "created") != "true" {
		t.Errorf("queue create %v", q)
	}
	put := s.ok(append([]string{"storage", "message", "put", "--queue-name", "learner-queue", "--content", "hello from az"}, login...)...)
	if field(put, "id") == "" || field(put, "popReceipt") == "" {
		t.Errorf("put %v", put)
	}
	peek := list(s.ok(append([]string{"storage", "message", "peek", "--queue-name", "learner-queue"}, login...)...))
	if len(peek) != 1 || field(peek[0], "content") != "hello from az" || field(peek[0], "id") != field(put, "id") {
		t.Errorf("peek %v", peek)
	}
	exs := s.since(seq)
	sent(t, exs, "PUT", acct+".queue.core.windows.net/learner-queue", http.StatusCreated)
	sent(t, exs, "POST", "/learner-queue/messages", http.StatusCreated)
	if ex := sent(t, exs, "GET", "/learner-queue/messages?peekonly=true", http.StatusOK); ex.Authz == nil || !ex.Authz.Allowed {
		t.Errorf("peek without an allowing decision: %+v", ex.Authz)
	}
	s.fails([]string{"OutOfRangeInput"}, append([]string{"storage", "queue", "create", "--name", "ab"}, login...)...)
	s.fails([]string{"not found"}, "storage", "account", "show", "--name", "stnobodymade")
}

// az webapp identity assign/show/remove and az webapp config appsettings
// set/list on the main app's site.
func TestAzWebApp(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, "sbx-az-web")
	s.loginOwner()
	site := s.names.MainSite
	rg := []string{"--name", site, "--resource-group", scenario.ResourceGroup}
	mainApp := s.principal(scenario.LabelMainApp)

	id := s.ok(append([]string{"webapp", "identity", "show"}, rg...)...)
	if field(id, "principalId") != mainApp.ObjectID || field(id, "type") != "SystemAssigned" || field(id, "tenantId") != s.w.TenantID() {
		t.Errorf("identity show %v", id)
	}
	s.ok(append([]string{"webapp", "identity", "remove"}, rg...)...)
	if id := s.ok(append([]string{"webapp", "identity", "show"}, rg...)...); field(id, "principalId") != "" {
		t.Errorf("after remove %v", id)
	}
	again := s.ok(append([]string{"webapp", "identity", "assign"}, rg...)...)
	if p := field(again, "principalId"); p == "" || p == mainApp.ObjectID || field(again, "type") != "SystemAssigned" {
		t.Errorf("assign: a new identity expected, got %v", again)
	}

	settings := func(v any) map[string]string {
		out := map[string]string{}
		for _, it := range list(v) {
			out[field(it, "name")] = field(it, "value")
		}
		return out
	}
	before := settings(s.ok(append([]string{"webapp", "config", "appsettings", "list"}, rg...)...))
	if before["KEY_VAULT_URL"] != "https://"+s.names.Vault+".vault.azure.net" {
		t.Errorf("appsettings list %v", before)
	}
	seq := s.lastSeq()
	set := settings(s.ok(append([]string{"webapp", "config", "appsettings", "set", "--settings", "LEARNER=1", "GREETING=hello"}, rg...)...))
	if set["LEARNER"] != "1" || set["GREETING"] != "hello" || set["KEY_VAULT_URL"] != before["KEY_VAULT_URL"] {
		t.Errorf("appsettings set %v", set)
	}
	exs := s.since(seq)
	sent(t, exs, "POST", "/config/appsettings/list?", http.StatusOK)
	sent(t, exs, "PUT", "/config/appsettings?", http.StatusOK)
	if after := settings(s.ok(append([]string{"webapp", "config", "appsettings", "list"}, rg...)...)); after["GREETING"] != "hello" {
		t.Errorf("list after set %v", after)
	}
	s.fails([]string{"ResourceNotFound"}, "webapp", "identity", "show", "--name", "no-such-site", "--resource-group", scenario.ResourceGroup)
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
