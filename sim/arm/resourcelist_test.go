package arm

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// The generic resource list and its $filter, as `az keyvault show -n` (the
// Key Vault SDK's vaults.list) and `az resource list` send it.
func TestResourceList(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-reslist")
	owner := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, w.Now())
	localDev := c.token(t, w, scenario.LabelLocalDev, entra.ResourceARM, w.Now())
	var names scenario.Resources
	w.View(func(st *world.State) { names = scenario.ResourcesOf(st) })
	sub := "/subscriptions/" + w.SubscriptionID()
	list := func(t *testing.T, path, filter, token string) ([]string, result) {
		t.Helper()
		q := "?api-version=2015-11-01"
		if filter != "" {
			q += "&$filter=" + url.QueryEscape(filter)
		}
		res := c.call(t, "GET", path+q, token, "")
		var body struct {
			Value []struct{ ID, Name, Type string }
		}
		if res.status == 200 {
			if err := json.Unmarshal(res.body, &body); err != nil {
				t.Fatalf("%s: %v", res.body, err)
			}
		}
		var got []string
		for _, v := range body.Value {
			got = append(got, v.Type+"/"+v.Name)
		}
		return got, res
	}
	vault := "Microsoft.KeyVault/vaults/" + names.Vault
	account := "Microsoft.Storage/storageAccounts/" + names.StorageAccount
	tests := []struct {
		name, path, filter string
		want               []string // in any order; nil with status 200 means none
		status             int
		code               string
	}{
		{"vaults by type (Key Vault SDK)", sub + "/resources", "resourceType eq 'Microsoft.KeyVault/vaults'", []string{vault}, 200, ""},
		{"type is case-insensitive", sub + "/resources", "resourceType eq 'microsoft.keyvault/VAULTS'", []string{vault}, 200, ""},
		{"group, name and type (az resource_exists)", sub + "/resources",
			"resourceGroup eq 'auth-scenario-rg' and name eq '" + names.StorageAccount + "' and resourceType eq 'Microsoft.Storage/storageAccounts'", []string{account}, 200, ""},
		{"or in parentheses", sub + "/resources",
			"(resourceType eq 'Microsoft.KeyVault/vaults' or resourceType eq 'Microsoft.Storage/storageAccounts')", []string{vault, account}, 200, ""},
		{"substringof", sub + "/resources", "substringof('" + names.Vault[3:] + "', name) and resourceType eq 'Microsoft.KeyVault/vaults'", []string{vault}, 200, ""},
		{"no match", sub + "/resources", "name eq 'nothing'", nil, 200, ""},
		{"at a resource group", sub + "/resourceGroups/auth-scenario-rg/resources", "resourceType eq 'Microsoft.KeyVault/vaults'", []string{vault}, 200, ""},
		{"missing group", sub + "/resourceGroups/nope/resources", "", nil, 404, "ResourceGroupNotFound"},
		{"unknown field", sub + "/resources", "color eq 'blue'", nil, 400, "InvalidFilterInQueryString"},
		{"unclosed quote", sub + "/resources", "name eq 'x", nil, 400, "InvalidFilterInQueryString"},
		{"dangling and", sub + "/resources", "name eq 'x' and", nil, 400, "InvalidFilterInQueryString"},
		{"unbalanced parenthesis", sub + "/resources", "(name eq 'x'", nil, 400, "InvalidFilterInQueryString"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, res := list(t, tc.path, tc.filter, owner)
			if res.status != tc.status || res.code != tc.code {
				t.Fatalf("got %d %s %q", res.status, res.code, res.msg)
			}
			if !sameSet(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("all resources of the walkthrough", func(t *testing.T) {
		got, res := list(t, sub+"/resources", "", owner)
		if res.status != 200 || len(got) != 4 { // vault, storage account, two sites
			t.Errorf("got %d %v", res.status, got)
		}
	})
	t.Run("a caller without roles sees nothing", func(t *testing.T) {
		got, res := list(t, sub+"/resources", "resourceType eq 'Microsoft.KeyVault/vaults'", localDev)
		if res.status != 200 || len(got) != 0 {
			t.Errorf("got %d %v", res.status, got)
		}
	})
	t.Run("api-version is required", func(t *testing.T) {
		res := c.call(t, "GET", sub+"/resources", owner, "")
		if res.status != 400 || res.code != "MissingApiVersionParameter" {
			t.Errorf("got %d %s", res.status, res.code)
		}
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] == 0 {
			return false
		}
		seen[s]--
	}
	return true
}
