package arm

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
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
	}
	for i, s := range seeds {
		f.Add(uint8(i), s, "api-version=2022-04-01&$filter=atScope()", `{"properties":{}}`)
	}
	f.Fuzz(func(t *testing.T, m uint8, path, query, body string) {
		method := []string{"GET", "PUT", "PATCH", "DELETE", "POST"}[int(m)%5]
		r := &http.Request{
			Method: method, Host: Host, Header: http.Header{"Authorization": {"Bearer " + tok}},
			URL:  &url.URL{Scheme: "https", Host: Host, Path: path, RawQuery: query},
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
		if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"error":{"code":`) {
			t.Fatalf("%s %q -> %d with body %s", method, path, rec.Code, rec.Body)
		}
	})
}

func httptestBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
