package arm

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// FuzzARMPath sends arbitrary paths, queries and bodies with a valid owner
// token: ARM must answer every one with an Azure-shaped status, never a
// panic or a 500.
func FuzzARMPath(f *testing.F) {
	c := newCloud(f)
	w := c.world(f, "sbx-arm-fuzz")
	tok := c.token(f, w, scenario.LabelOwner, entra.ResourceARM, w.Now())
	sub := "/subscriptions/" + w.SubscriptionID()
	vault := vaultID(w)
	seeds := []string{
		"/", "//", sub, sub + "/resourcegroups", sub + "/resourcegroups/rg", vault, vault + "/accessPolicies/add",
		vault + "/providers/Microsoft.Authorization/roleAssignments",
		"/" + vault + "/providers/Microsoft.Authorization/roleAssignments/6f1c8b0e-5b0e-4a57-9d0a-1b2c3d4e5f60",
		"/providers/Microsoft.Authorization/roleDefinitions", sub + "/providers/Microsoft.Authorization/roleDefinitions/" + "x",
		sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.Web/sites/x",
		"/providers/Microsoft.Management/managementGroups/m/providers/Microsoft.Authorization/roleAssignments",
		sub + "/providers/providers/providers", "/subscriptions/%00/x",
		sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.Web/sites/x/host/default/listkeys",
		sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.Storage/storageAccounts/stfuzz",
		sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.Storage/storageAccounts/stfuzz/queueServices/default/queues/q-1",
		sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.KeyVault/vaults/kv-fuzz",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s, "api-version=2022-04-01&$filter=atScope()", `{"properties":{}}`)
	}
	f.Add(uint8(1), seeds[len(seeds)-3], "api-version=2023-05-01", `{"location":"eastus","kind":"StorageV2","sku":{"name":"Standard_LRS"}}`)
	f.Add(uint8(1), seeds[len(seeds)-2], "api-version=2023-05-01", `{"properties":{"metadata":{"a":"b"}}}`)
	f.Add(uint8(1), seeds[len(seeds)-5], "api-version=2023-12-01", `{"location":"eastus","kind":"functionapp","identity":{"type":"SystemAssigned"}}`)
	f.Add(uint8(4), seeds[len(seeds)-4], "api-version=2023-12-01", "")
	f.Add(uint8(3), seeds[len(seeds)-1], "api-version=2023-07-01", "")
	f.Add(uint8(0), sub+"/resources", "api-version=2015-11-01&$filter=resourceType eq 'Microsoft.KeyVault/vaults'", "")
	f.Add(uint8(0), sub+"/resourceGroups/rg/resources", "api-version=2021-04-01&$filter=(name eq 'a''b' or substringof('x', name)) and location eq 'eastus'", "")
	f.Fuzz(func(t *testing.T, m uint8, path, query, body string) {
		method := []string{"GET", "PUT", "PATCH", "DELETE", "POST"}[int(m)%5]
		r := &http.Request{
			Method: method, Host: service.HostARM, Header: http.Header{"Authorization": {"Bearer " + tok}},
			URL:  &url.URL{Scheme: "https", Host: service.HostARM, Path: path, RawQuery: query},
			Body: http.NoBody,
		}
		if body != "" {
			r.Body = httptestBody(body)
		}
		rec := httptest.NewRecorder()
		c.arm.ServeHTTP(rec, r)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %q ? %q -> %d %s", method, path, query, rec.Code, rec.Body)
		}
		// ARM's envelope, or App Service's own for the errors it words.
		if b := rec.Body.String(); rec.Code >= 400 && !strings.HasPrefix(b, `{"error":{"code":`) && !strings.HasPrefix(b, `{"Code":`) {
			t.Fatalf("%s %q -> %d with body %s", method, path, rec.Code, rec.Body)
		}
	})
}

func httptestBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
