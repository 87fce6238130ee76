package arm

import (
	"encoding/json"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// `az webapp config appsettings set/list` and `az storage account show -n`
// without -g on the wire.
func TestAppSettingsAndStorageList(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-appsettings")
	owner := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, w.Now())
	localDev := c.token(t, w, scenario.LabelLocalDev, entra.ResourceARM, w.Now())
	var names scenario.Resources
	w.View(func(st *world.State) { names = scenario.ResourcesOf(st) })
	sub := "/subscriptions/" + w.SubscriptionID()
	site := sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.Web/sites/" + names.MainSite
	const v = "?api-version=2022-03-01"
	settings := func(res result) map[string]string {
		t.Helper()
		var body struct {
			ID, Name, Type string
			Properties     map[string]string
		}
		if err := json.Unmarshal(res.body, &body); err != nil || res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if body.ID != site+"/config/appsettings" || body.Name != "appsettings" || body.Type != "Microsoft.Web/sites/config" {
			t.Errorf("envelope %+v", body)
		}
		return body.Properties
	}

	got := settings(c.call(t, "POST", site+"/config/appsettings/list"+v, owner, ""))
	if got["KEY_VAULT_URL"] != "https://"+names.Vault+".vault.azure.net" {
		t.Errorf("scenario settings %v", got)
	}
	got = settings(c.call(t, "PUT", site+"/config/appsettings"+v, owner, `{"properties":{"A":"1","KEY_VAULT_URL":"x"}}`))
	if len(got) != 2 || got["A"] != "1" || got["KEY_VAULT_URL"] != "x" {
		t.Errorf("after PUT %v", got)
	}
	w.View(func(st *world.State) {
		if st.Site(names.MainSite).AppSettings["A"] != "1" {
			t.Errorf("world not updated: %v", st.Site(names.MainSite).AppSettings)
		}
	})
	if res := c.call(t, "GET", site+"/config/slotConfigNames"+v, owner, ""); res.status != 200 {
		t.Errorf("slotConfigNames %d %s", res.status, res.body)
	}

	errs := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"list needs the list action", "POST", site + "/config/appsettings/list" + v, localDev, "", 403, "AuthorizationFailed"},
		{"write needs config/write", "PUT", site + "/config/appsettings" + v, localDev, `{"properties":{}}`, 403, "AuthorizationFailed"},
		{"GET of the list action", "GET", site + "/config/appsettings/list" + v, owner, "", 405, "MethodNotAllowed"},
		{"bad body", "PUT", site + "/config/appsettings" + v, owner, `{"properties":[1]}`, 400, "InvalidRequestContent"},
		{"missing site", "POST", sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.Web/sites/nope/config/appsettings/list" + v, owner, "", 404, "ResourceNotFound"},
		{"storage list in missing group", "GET", sub + "/resourceGroups/nope/providers/Microsoft.Storage/storageAccounts?api-version=2022-09-01", owner, "", 404, "ResourceGroupNotFound"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, tc.method, tc.path, tc.token, tc.body)
			if res.status != tc.status || res.code != tc.code {
				t.Errorf("got %d %s %q", res.status, res.code, res.msg)
			}
		})
	}

	for _, path := range []string{sub + "/providers/Microsoft.Storage/storageAccounts", sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.Storage/storageAccounts"} {
		for _, tc := range []struct {
			token string
			want  int
		}{{owner, 1}, {localDev, 0}} {
			res := c.call(t, "GET", path+"?api-version=2022-09-01", tc.token, "")
			var body struct{ Value []struct{ Name string } }
			if err := json.Unmarshal(res.body, &body); err != nil || res.status != 200 || len(body.Value) != tc.want ||
				(tc.want == 1 && body.Value[0].Name != names.StorageAccount) {
				t.Errorf("%s: %d %s", path, res.status, res.body)
			}
		}
	}
}
