package graph

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// The lists and filters az sends: create-for-rbac (startswith on
// applications, displayName eq on service principals), role assignment
// --assignee (servicePrincipalNames/any, userPrincipalName eq, getByIds).
func TestListsAndFilters(t *testing.T) {
	e := newEnv(t)
	tok := e.graphToken(e.labelled(scenario.LabelOwner))
	var localDev, dev, mainApp world.Principal
	e.w.View(func(st *world.State) {
		localDev = *st.Principals[st.Labels[scenario.LabelLocalDev]]
		dev = *st.Principals[st.Labels[scenario.LabelDeveloper]]
		mainApp = *st.Principals[st.Labels[scenario.LabelMainApp]]
	})
	for _, name := range []string{"myapp", "myapp-two", "other"} {
		if a := e.call(tok, "POST", "/v1.0/applications", jsonBody(map[string]string{"displayName": name})); a.status != http.StatusCreated {
			t.Fatalf("create %s = %d %s", name, a.status, a.raw)
		}
	}
	ids := func(a answer, key string) []string {
		vals, _ := a.body["value"].([]any)
		var out []string
		for _, v := range vals {
			s, _ := v.(map[string]any)[key].(string)
			out = append(out, s)
		}
		return out
	}
	tests := []struct {
		name, collection, filter, key string
		want                          []string
	}{
		{"applications startswith", "applications", "startswith(displayName,'myapp')", "displayName", []string{"myapp", "myapp-two"}},
		{"startswith is case-insensitive", "applications", "startswith(displayName,'MYAPP-')", "displayName", []string{"myapp-two"}},
		{"applications displayName eq", "applications", "displayName eq 'other'", "displayName", []string{"other"}},
		{"applications by appId", "applications", "appId eq '" + localDev.AppID + "'", "appId", []string{localDev.AppID}},
		{"identifierUris any", "applications", "identifierUris/any(s:s eq 'api://x')", "id", nil},
		{"sp by servicePrincipalNames", "servicePrincipals", "servicePrincipalNames/any(c:c eq '" + localDev.AppID + "')", "id", []string{localDev.ObjectID}},
		{"managed identity by its resource ID", "servicePrincipals", "servicePrincipalNames/any(c:c eq '" + mainApp.ResourceID + "')", "id", []string{mainApp.ObjectID}},
		{"sp by unknown name", "servicePrincipals", "servicePrincipalNames/any(c:c eq 'nobody')", "id", nil},
		{"sp displayName or", "servicePrincipals", "displayName eq 'myapp' or displayName eq 'other'", "displayName", []string{"myapp", "other"}},
		{"sp and", "servicePrincipals", "startswith(displayName,'my') and displayName eq 'myapp'", "displayName", []string{"myapp"}},
		{"user by UPN", "users", "userPrincipalName eq '" + dev.UserPrincipalName + "'", "id", []string{dev.ObjectID}},
		{"UPN is case-insensitive", "users", "userPrincipalName eq '" + upper(dev.UserPrincipalName) + "'", "id", []string{dev.ObjectID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(tok, "GET", "/v1.0/"+tc.collection+"?$filter="+url.QueryEscape(tc.filter), "")
			if a.status != http.StatusOK || a.str("@odata.context") != metadata+tc.collection {
				t.Fatalf("= %d %s", a.status, a.raw)
			}
			if got := ids(a, tc.key); !equalStrings(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("user by UPN in the path", func(t *testing.T) {
		a := e.call(tok, "GET", "/v1.0/users/"+dev.UserPrincipalName, "")
		if a.status != 200 || a.str("id") != dev.ObjectID || a.str("@odata.context") != metadata+"users/$entity" {
			t.Errorf("= %d %s", a.status, a.raw)
		}
	})
	t.Run("getByIds", func(t *testing.T) {
		a := e.call(tok, "POST", "/v1.0/directoryObjects/getByIds",
			jsonBody(map[string]any{"ids": []string{dev.ObjectID, localDev.ObjectID, "00000000-0000-0000-0000-000000000000"},
				"types": []string{"user", "group", "servicePrincipal", "directoryObjectPartnerReference"}}))
		if a.status != 200 {
			t.Fatalf("= %d %s", a.status, a.raw)
		}
		if got := ids(a, "@odata.type"); !equalStrings(got, []string{"#microsoft.graph.user", "#microsoft.graph.servicePrincipal"}) {
			t.Errorf("types %v", got)
		}
		if got := ids(a, "id"); !equalStrings(got, []string{dev.ObjectID, localDev.ObjectID}) {
			t.Errorf("ids %v", got)
		}
	})
	t.Run("patch renames", func(t *testing.T) {
		a := e.call(tok, "PATCH", "/v1.0/applications(appId='"+localDev.AppID+"')", `{"displayName":"renamed","web":{"redirectUris":[]}}`)
		if a.status != http.StatusNoContent {
			t.Fatalf("= %d %s", a.status, a.raw)
		}
		g := e.call(tok, "GET", "/v1.0/applications(appId='"+localDev.AppID+"')", "")
		if g.str("displayName") != "renamed" {
			t.Errorf("after patch: %s", g.raw)
		}
	})
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
