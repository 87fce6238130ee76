package arm

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// createFixture is two sandboxes (names are global across them) with the
// owner's and localDev's ARM tokens for the first.
type createFixture struct {
	c             *cloud
	w, other      *world.World
	owner, dev    string
	otherOwner    string
	group, otherG string // ARM IDs of auth-scenario-rg in each
}

func newCreateFixture(t *testing.T, id string) *createFixture {
	t.Helper()
	c := newCloud(t)
	f := &createFixture{c: c, w: c.world(t, id), other: c.world(t, id+"-b")}
	f.owner = c.token(t, f.w, scenario.LabelOwner, entra.ResourceARM, f.w.Now())
	f.dev = c.token(t, f.w, scenario.LabelLocalDev, entra.ResourceARM, f.w.Now())
	f.otherOwner = c.token(t, f.other, scenario.LabelOwner, entra.ResourceARM, f.other.Now())
	f.group = "/subscriptions/" + f.w.SubscriptionID() + "/resourceGroups/" + scenario.ResourceGroup
	f.otherG = "/subscriptions/" + f.other.SubscriptionID() + "/resourceGroups/" + scenario.ResourceGroup
	return f
}

func names(w *world.World) scenario.Resources {
	var n scenario.Resources
	w.View(func(s *world.State) { n = scenario.ResourcesOf(s) })
	return n
}

func TestStorageAccountCreate(t *testing.T) {
	f := newCreateFixture(t, "sbx-arm-st")
	c := f.c
	const api = "?api-version=2023-05-01"
	const body = `{"location":"East US","kind":"StorageV2","sku":{"name":"Standard_LRS"}}`
	acct := f.group + "/providers/Microsoft.Storage/storageAccounts/stnewacct1"

	res := c.call(t, "PUT", acct+api, f.owner, body)
	var got storageJSON
	if err := json.Unmarshal(res.body, &got); err != nil || res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	ep, _ := got.Properties["primaryEndpoints"].(map[string]any)
	if got.ID != acct || got.Name != "stnewacct1" || got.Type != "Microsoft.Storage/storageAccounts" || got.Kind != "StorageV2" ||
		got.Sku.Name != "Standard_LRS" || got.Location != "eastus" || got.Properties["provisioningState"] != "Succeeded" ||
		ep["queue"] != "https://stnewacct1.queue.core.windows.net/" {
		t.Errorf("create shape: %s", res.body)
	}
	var inWorld bool
	f.w.View(func(s *world.State) { inWorld = s.StorageAccount("stnewacct1") != nil })
	if !inWorld {
		t.Error("the account is not in the sandbox")
	}
	if g := c.call(t, "GET", acct+api, f.owner, ""); g.status != 200 || string(g.body) != string(res.body) {
		t.Errorf("GET after PUT: %d %s", g.status, g.body)
	}
	if again := c.call(t, "PUT", acct+api, f.owner, body); again.status != 200 {
		t.Errorf("PUT again: %d %s", again.status, again.body)
	}

	tests := []struct {
		name, path, token, body string
		status                  int
		code, msg               string
	}{
		{"too short", f.group + "/providers/Microsoft.Storage/storageAccounts/ab" + api, f.owner, body, 400, "AccountNameInvalid",
			"ab is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only."},
		{"upper case", f.group + "/providers/Microsoft.Storage/storageAccounts/StUpper" + api, f.owner, body, 400, "AccountNameInvalid", "StUpper is not"},
		{"hyphen", f.group + "/providers/Microsoft.Storage/storageAccounts/st-acct" + api, f.owner, body, 400, "AccountNameInvalid", "st-acct is not"},
		{"too long", f.group + "/providers/Microsoft.Storage/storageAccounts/" + strings.Repeat("a", 25) + api, f.owner, body, 400, "AccountNameInvalid", ""},
		{"taken by another sandbox", f.otherG + "/providers/Microsoft.Storage/storageAccounts/stnewacct1" + api, f.otherOwner, body, 409,
			"StorageAccountAlreadyTaken", "The storage account named stnewacct1 is already taken."},
		{"scenario name of another sandbox", f.otherG + "/providers/Microsoft.Storage/storageAccounts/" + names(f.w).StorageAccount + api, f.otherOwner, body, 409,
			"StorageAccountAlreadyTaken", ""},
		{"localDev", f.group + "/providers/Microsoft.Storage/storageAccounts/stdevacct" + api, f.dev, body, 403, "AuthorizationFailed",
			"does not have authorization to perform action 'Microsoft.Storage/storageAccounts/write' over scope '" + f.group + "/providers/Microsoft.Storage/storageAccounts/stdevacct'"},
		{"localDev GET", acct + api, f.dev, "", 403, "AuthorizationFailed", ""},
		{"no api-version", acct, f.owner, body, 400, "MissingApiVersionParameter", ""},
		{"old api-version", acct + "?api-version=2016-01-01", f.owner, body, 400, "InvalidApiVersionParameter", ""},
		{"no location", f.group + "/providers/Microsoft.Storage/storageAccounts/stnoloc" + api, f.owner, `{"kind":"StorageV2","sku":{"name":"Standard_LRS"}}`, 400, "LocationRequired", ""},
		{"no sku", f.group + "/providers/Microsoft.Storage/storageAccounts/stnosku" + api, f.owner, `{"location":"eastus","kind":"StorageV2"}`, 400, "InvalidRequestContent", ""},
		{"bad kind", f.group + "/providers/Microsoft.Storage/storageAccounts/stbadkind" + api, f.owner, `{"location":"eastus","kind":"V3","sku":{"name":"Standard_LRS"}}`, 400, "InvalidRequestContent", ""},
		{"missing", f.group + "/providers/Microsoft.Storage/storageAccounts/stnothere" + api, f.owner, "", 404, "ResourceNotFound", ""},
		{"no group", "/subscriptions/" + f.w.SubscriptionID() + "/resourceGroups/nope/providers/Microsoft.Storage/storageAccounts/stnogroup" + api, f.owner, body, 404, "ResourceGroupNotFound", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "PUT"
			if tc.body == "" {
				method = "GET"
			}
			res := c.call(t, method, tc.path, tc.token, tc.body)
			if res.status != tc.status || res.code != tc.code || !strings.Contains(res.msg, tc.msg) {
				t.Errorf("got %d %s %q", res.status, res.code, res.msg)
			}
		})
	}

	t.Run("another group of the same sandbox", func(t *testing.T) {
		if res := c.call(t, "PUT", "/subscriptions/"+f.w.SubscriptionID()+"/resourcegroups/second-rg?api-version=2021-04-01", f.owner, `{"location":"eastus"}`); res.status != 201 {
			t.Fatalf("group: %d", res.status)
		}
		res := c.call(t, "PUT", "/subscriptions/"+f.w.SubscriptionID()+"/resourceGroups/second-rg/providers/Microsoft.Storage/storageAccounts/stnewacct1"+api, f.owner, body)
		if res.status != 409 || res.code != "StorageAccountInAnotherResourceGroup" {
			t.Errorf("got %d %s %q", res.status, res.code, res.msg)
		}
	})

	// The answer is final (200, no polling headers): azcore's poller, which
	// the armstorage SDK's BeginCreate uses, finishes on it.
	t.Run("SDK poller", func(t *testing.T) {
		client, err := arm.NewClient("test", "v0.0.1", c.cred(t, f.w, scenario.LabelOwner), c.armOptions())
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		req, err := azruntime.NewRequest(ctx, http.MethodPut, "https://"+service.HostARM+f.group+"/providers/Microsoft.Storage/storageAccounts/stpolled"+api)
		if err != nil {
			t.Fatal(err)
		}
		if err := azruntime.MarshalAsJSON(req, json.RawMessage(body)); err != nil {
			t.Fatal(err)
		}
		resp, err := client.Pipeline().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		poller, err := azruntime.NewPoller[storageJSON](resp, client.Pipeline(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !poller.Done() {
			t.Error("poller not done on the synchronous answer")
		}
		got, err := poller.PollUntilDone(ctx, nil)
		if err != nil || got.Name != "stpolled" {
			t.Errorf("poller result %+v, %v", got, err)
		}
	})
}

func TestQueueCreate(t *testing.T) {
	f := newCreateFixture(t, "sbx-arm-q")
	c := f.c
	const api = "?api-version=2023-05-01"
	acct := f.group + "/providers/Microsoft.Storage/storageAccounts/" + names(f.w).StorageAccount
	q := acct + "/queueServices/default/queues/orders"

	res := c.call(t, "PUT", q+api, f.owner, `{"properties":{"metadata":{"team":"a"}}}`)
	var got queueJSON
	if err := json.Unmarshal(res.body, &got); err != nil || res.status != 200 || got.ID != q || got.Name != "orders" ||
		got.Type != "Microsoft.Storage/storageAccounts/queueServices/queues" {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if md, _ := got.Properties["metadata"].(map[string]any); md["team"] != "a" {
		t.Errorf("metadata: %s", res.body)
	}
	if g := c.call(t, "GET", q+api, f.owner, ""); g.status != 200 || string(g.body) != string(res.body) {
		t.Errorf("GET after PUT: %d %s", g.status, g.body)
	}
	var inWorld bool
	f.w.View(func(s *world.State) { inWorld = s.StorageAccount(names(f.w).StorageAccount).Queues["orders"] != nil })
	if !inWorld {
		t.Error("the queue is not in the sandbox")
	}
	tests := []struct {
		name, method, path, token string
		status                    int
		code, msg                 string
	}{
		{"short name", "PUT", acct + "/queueServices/default/queues/ab" + api, f.owner, 400, "OutOfRangeInput", ""},
		{"upper case", "PUT", acct + "/queueServices/default/queues/Orders" + api, f.owner, 400, "InvalidResourceName", ""},
		{"double hyphen", "PUT", acct + "/queueServices/default/queues/a--b" + api, f.owner, 400, "InvalidResourceName", ""},
		{"localDev", "PUT", acct + "/queueServices/default/queues/devq" + api, f.dev, 403, "AuthorizationFailed",
			"'Microsoft.Storage/storageAccounts/queueServices/queues/write' over scope '" + acct + "/queueServices/default/queues/devq'"},
		{"missing queue", "GET", acct + "/queueServices/default/queues/nope" + api, f.owner, 404, "QueueNotFound", ""},
		{"missing account", "PUT", f.group + "/providers/Microsoft.Storage/storageAccounts/stnothere/queueServices/default/queues/q11" + api, f.owner, 404, "ResourceNotFound", ""},
		{"no api-version", "PUT", q, f.owner, 400, "MissingApiVersionParameter", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, tc.method, tc.path, tc.token, `{}`)
			if res.status != tc.status || res.code != tc.code || !strings.Contains(res.msg, tc.msg) {
				t.Errorf("got %d %s %q", res.status, res.code, res.msg)
			}
		})
	}
}

// appServiceError is App Service's own error envelope.
type appServiceError struct {
	Code, Message string
	Details       []map[string]any
}

func TestSiteCreate(t *testing.T) {
	f := newCreateFixture(t, "sbx-arm-site")
	c := f.c
	const api = "?api-version=2023-12-01"
	fn := f.group + "/providers/Microsoft.Web/sites/new-api-fn"

	res := c.call(t, "PUT", fn+api, f.owner, `{"location":"eastus","kind":"functionapp,linux","identity":{"type":"SystemAssigned"}}`)
	var got siteJSON
	if err := json.Unmarshal(res.body, &got); err != nil || res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if got.ID != fn || got.Type != "Microsoft.Web/sites" || got.Kind != "functionapp,linux" || got.Location != "East US" ||
		got.Properties["defaultHostName"] != "new-api-fn.azurewebsites.net" || got.Identity == nil ||
		got.Identity.Type != "SystemAssigned" || got.Identity.TenantID != f.w.TenantID() {
		t.Fatalf("create shape: %s", res.body)
	}
	if _, ok := principalExists(f.w, got.Identity.PrincipalID); !ok {
		t.Error("no service principal for the system-assigned identity")
	}
	if g := c.call(t, "GET", fn+api, f.owner, ""); g.status != 200 || string(g.body) != string(res.body) {
		t.Errorf("GET after PUT: %d %s", g.status, g.body)
	}

	t.Run("listkeys", func(t *testing.T) {
		res := c.call(t, "POST", fn+"/host/default/listkeys"+api, f.owner, "")
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(res.body, &keys); err != nil || res.status != 200 {
			t.Fatalf("listkeys: %d %s", res.status, res.body)
		}
		var fk map[string]string
		_ = json.Unmarshal(keys["functionKeys"], &fk)
		var want string
		f.w.View(func(s *world.State) { want = s.Site("new-api-fn").FunctionKeys["default"] })
		if want == "" || fk["default"] != want {
			t.Errorf("functionKeys %v, world key %q", fk, want)
		}
		if _, ok := keys["masterKey"]; ok {
			t.Errorf("masterKey sent though the simulation has none: %s", res.body)
		}
		if res := c.call(t, "POST", fn+"/host/default/listkeys"+api, f.dev, ""); res.status != 403 ||
			!strings.Contains(res.msg, "'Microsoft.Web/sites/host/listkeys/action' over scope '"+fn+"/host/default/listkeys'") {
			t.Errorf("localDev: %d %q", res.status, res.msg)
		}
		if res := c.call(t, "GET", fn+"/host/default/listkeys"+api, f.owner, ""); res.status != 405 {
			t.Errorf("GET listkeys: %d", res.status)
		}
	})

	t.Run("web app with app settings", func(t *testing.T) {
		app := f.group + "/providers/Microsoft.Web/sites/new-web-app"
		body := `{"location":"eastus","kind":"app,linux","properties":{"siteConfig":{"appSettings":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}}}`
		res := c.call(t, "PUT", app+api, f.owner, body)
		if res.status != 200 || strings.Contains(string(res.body), `"identity"`) || !strings.Contains(string(res.body), `"kind":"app,linux"`) {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		res = c.call(t, "PUT", app+api, f.owner, `{"location":"eastus","kind":"app","properties":{"siteConfig":{"appSettings":[{"name":"C","value":"3"}]}}}`)
		var settings map[string]string
		var keys map[string]string
		f.w.View(func(s *world.State) {
			settings, keys = s.Site("new-web-app").AppSettings, s.Site("new-web-app").FunctionKeys
		})
		if res.status != 200 || len(settings) != 1 || settings["C"] != "3" {
			t.Errorf("PUT replaces app settings: %d %v", res.status, settings)
		}
		if len(keys) != 0 {
			t.Errorf("a web app has function keys %v", keys)
		}
	})

	conflict := func(name string) string { return "Website with given name " + name + " already exists." }
	tests := []struct {
		name, path, token, body string
		status                  int
		code, msg               string
		appService              bool
	}{
		{"taken by another sandbox", f.otherG + "/providers/Microsoft.Web/sites/new-api-fn" + api, f.otherOwner, `{"location":"eastus"}`,
			409, "Conflict", conflict("new-api-fn"), true},
		{"scenario site of another sandbox", f.otherG + "/providers/Microsoft.Web/sites/" + names(f.w).MainSite + api, f.otherOwner, `{"location":"eastus"}`,
			409, "Conflict", conflict(names(f.w).MainSite), true},
		{"hyphen first", f.group + "/providers/Microsoft.Web/sites/-bad" + api, f.owner, `{"location":"eastus"}`, 400, "BadRequest", "Site name '-bad' is invalid.", true},
		{"too long", f.group + "/providers/Microsoft.Web/sites/" + strings.Repeat("a", 61) + api, f.owner, `{"location":"eastus"}`, 400, "BadRequest", "is invalid", true},
		{"underscore", f.group + "/providers/Microsoft.Web/sites/a_b" + api, f.owner, `{"location":"eastus"}`, 400, "BadRequest", "is invalid", true},
		{"localDev", f.group + "/providers/Microsoft.Web/sites/dev-site" + api, f.dev, `{"location":"eastus"}`, 403, "AuthorizationFailed",
			"'Microsoft.Web/sites/write' over scope '" + f.group + "/providers/Microsoft.Web/sites/dev-site'", false},
		{"bad identity", f.group + "/providers/Microsoft.Web/sites/idsite" + api, f.owner, `{"location":"eastus","identity":{"type":"Sometimes"}}`, 400, "BadRequest", "ManagedServiceIdentityType", false},
		{"no location", f.group + "/providers/Microsoft.Web/sites/noloc" + api, f.owner, `{"kind":"app"}`, 400, "LocationRequired", "", false},
		{"no api-version", fn, f.owner, `{"location":"eastus"}`, 400, "MissingApiVersionParameter", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, "PUT", tc.path, tc.token, tc.body)
			code, msg := res.code, res.msg
			if tc.appService {
				var e appServiceError
				if err := json.Unmarshal(res.body, &e); err != nil || len(e.Details) != 3 {
					t.Fatalf("not App Service's envelope: %s", res.body)
				}
				code, msg = e.Code, e.Message
			}
			if res.status != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("got %d %s %q", res.status, code, msg)
			}
		})
	}
}

func TestVaultCreateDelete(t *testing.T) {
	f := newCreateFixture(t, "sbx-arm-kv")
	c := f.c
	const api = "?api-version=2023-07-01"
	v := f.group + "/providers/Microsoft.KeyVault/vaults/kv-created-1"
	body := `{"location":"eastus","properties":{"tenantId":"` + f.w.TenantID() +
		`","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":true,"accessPolicies":[]}}`

	res := c.call(t, "PUT", v+api, f.owner, body)
	var got vaultJSON
	if err := json.Unmarshal(res.body, &got); err != nil || res.status != 200 || got.ID != v ||
		!got.Properties.EnableRbacAuthorization || got.Properties.VaultURI != "https://kv-created-1.vault.azure.net/" {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if g := c.call(t, "GET", v+api, f.owner, ""); g.status != 200 || string(g.body) != string(res.body) {
		t.Errorf("GET after PUT: %d %s", g.status, g.body)
	}
	otherV := f.otherG + "/providers/Microsoft.KeyVault/vaults/kv-created-1" + api
	if res := c.call(t, "PUT", otherV, f.otherOwner, body); res.status != 409 || res.code != "VaultAlreadyExists" {
		t.Errorf("taken by another sandbox: %d %s", res.status, res.code)
	}
	tests := []struct {
		name, method, path, token string
		status                    int
		code, msg                 string
	}{
		{"name starts with a digit", "PUT", f.group + "/providers/Microsoft.KeyVault/vaults/1vault" + api, f.owner, 400, "VaultNameNotValid", "The vault name '1vault' is invalid."},
		{"double hyphen", "PUT", f.group + "/providers/Microsoft.KeyVault/vaults/kv--x" + api, f.owner, 400, "VaultNameNotValid", ""},
		{"too long", "PUT", f.group + "/providers/Microsoft.KeyVault/vaults/" + strings.Repeat("k", 25) + api, f.owner, 400, "VaultNameNotValid", ""},
		{"localDev create", "PUT", f.group + "/providers/Microsoft.KeyVault/vaults/kv-dev-1" + api, f.dev, 403, "AuthorizationFailed", "'Microsoft.KeyVault/vaults/write'"},
		{"localDev delete", "DELETE", v + api, f.dev, 403, "AuthorizationFailed", "'Microsoft.KeyVault/vaults/delete' over scope '" + v + "'"},
		{"no api-version", "DELETE", v, f.owner, 400, "MissingApiVersionParameter", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, tc.method, tc.path, tc.token, body)
			if res.status != tc.status || res.code != tc.code || !strings.Contains(res.msg, tc.msg) {
				t.Errorf("got %d %s %q", res.status, res.code, res.msg)
			}
		})
	}
	if res := c.call(t, "DELETE", v+api, f.owner, ""); res.status != 200 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	if res := c.call(t, "DELETE", v+api, f.owner, ""); res.status != 204 {
		t.Errorf("delete again: %d", res.status)
	}
	if res := c.call(t, "GET", v+api, f.owner, ""); res.status != 404 || res.code != "ResourceNotFound" {
		t.Errorf("GET deleted: %d %s", res.status, res.code)
	}
	if res := c.call(t, "PUT", otherV, f.otherOwner, body); res.status != 200 {
		t.Errorf("the freed name: %d %s", res.status, res.body)
	}
}
