package arm

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const raAPI = "?api-version=2022-04-01"

// Authentication failures, worded as ARM words them.
func TestAuthentication(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-authn")
	other := c.world(t, "sbx-arm-other")
	sub := "/subscriptions/" + w.SubscriptionID()
	path := sub + "/providers/Microsoft.Authorization/roleAssignments" + raAPI
	now := w.Now()
	ownerTok := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, now)

	t.Run("missing header", func(t *testing.T) {
		res := c.call(t, "GET", path, "", "")
		wantHdr := `Bearer authorization_uri="https://login.microsoftonline.com/` + w.TenantID() +
			`", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`
		if res.status != 401 || res.code != "AuthenticationFailed" || res.msg != "Authentication failed. The 'Authorization' header is missing." ||
			res.header.Get("WWW-Authenticate") != wantHdr {
			t.Errorf("got %d %s %q %q", res.status, res.code, res.msg, res.header.Get("WWW-Authenticate"))
		}
		if res.header.Get("x-ms-request-id") == "" || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
			t.Errorf("headers %v", res.header)
		}
	})
	tests := []struct {
		name, token, code, msg string
	}{
		{"garbage", "not-a-jwt", "InvalidAuthenticationToken", "The access token is invalid."},
		{"vault audience", c.token(t, w, scenario.LabelOwner, entra.ResourceKeyVault, now), "InvalidAuthenticationToken",
			"The access token has been obtained for wrong audience or resource 'https://vault.azure.net'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."},
		{"expired", c.token(t, w, scenario.LabelOwner, entra.ResourceARM, now.Add(-3*time.Hour)), "ExpiredAuthenticationToken",
			"The access token expiry UTC time '"},
		{"other tenant", c.token(t, other, scenario.LabelOwner, entra.ResourceARM, now), "InvalidAuthenticationTokenTenant",
			"The access token is from the wrong issuer 'https://sts.windows.net/" + other.TenantID() + "/'. It must match the tenant 'https://sts.windows.net/" + w.TenantID() + "/' associated with this subscription."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, "GET", path, tc.token, "")
			if res.status != 401 || res.code != tc.code || !strings.HasPrefix(res.msg, tc.msg) {
				t.Errorf("got %d %s %q", res.status, res.code, res.msg)
			}
			if !strings.Contains(res.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("unknown subscription", func(t *testing.T) {
		res := c.call(t, "GET", "/subscriptions/"+uuid.NewString()+"/resourcegroups?api-version=2021-04-01", ownerTok, "")
		if res.status != 404 || res.code != "SubscriptionNotFound" {
			t.Errorf("got %d %s %q", res.status, res.code, res.msg)
		}
	})
	t.Run("tenant-level path uses the token's tenant", func(t *testing.T) {
		res := c.call(t, "GET", "/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=roleName%20eq%20'Owner'", ownerTok, "")
		var list struct{ Value []rdJSON }
		if err := json.Unmarshal(res.body, &list); err != nil || res.status != 200 || len(list.Value) != 1 ||
			list.Value[0].ID != "/providers/Microsoft.Authorization/roleDefinitions/"+rbac.RoleOwner {
			t.Errorf("got %d %s", res.status, res.body)
		}
	})
}

// Request errors: code, status and message.
func TestRequestErrors(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-errors")
	tok := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, w.Now())
	sub := "/subscriptions/" + w.SubscriptionID()
	vault := vaultID(w)
	ra := func(scope, name string) string {
		return scope + "/providers/Microsoft.Authorization/roleAssignments/" + name
	}
	body := func(role, principal, ptype string) string {
		b, _ := json.Marshal(map[string]any{"properties": map[string]string{
			"roleDefinitionId": sub + "/providers/Microsoft.Authorization/roleDefinitions/" + role,
			"principalId":      principal, "principalType": ptype,
		}})
		return string(b)
	}
	dev := label(w, scenario.LabelLocalDev)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, msg                string
	}{
		{"missing api-version", "GET", ra(vault, uuid.NewString()), "", 400, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests."},
		{"bad api-version", "GET", ra(vault, uuid.NewString()) + "?api-version=2099-01-01", "", 400, "InvalidApiVersionParameter",
			"The api-version '2099-01-01' is invalid. The supported versions are '2015-07-01,"},
		{"bad assignment name", "PUT", ra(vault, "not-a-guid") + raAPI, body(rbac.RoleReader, dev, ""), 400, "InvalidRoleAssignmentId",
			"The role assignment ID 'not-a-guid' is not valid. The role assignment ID must be a GUID."},
		{"bad JSON", "PUT", ra(vault, uuid.NewString()) + raAPI, "{", 400, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: "},
		{"no properties", "PUT", ra(vault, uuid.NewString()) + raAPI, "{}", 400, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: 'Required property 'properties' not found in JSON.'."},
		{"unknown role", "PUT", ra(vault, uuid.NewString()) + raAPI, body("00000000-0000-0000-0000-00000000dead", dev, ""), 400,
			"RoleDefinitionDoesNotExist", "The specified role definition with ID '00000000-0000-0000-0000-00000000dead' does not exist."},
		{"bad role ref", "PUT", ra(vault, uuid.NewString()) + raAPI,
			`{"properties":{"roleDefinitionId":"Reader","principalId":"` + dev + `"}}`, 400, "InvalidRoleDefinitionId",
			"The role definition ID 'Reader' is not valid."},
		{"principal type mismatch", "PUT", ra(vault, uuid.NewString()) + raAPI, body(rbac.RoleReader, dev, "User"), 400,
			"UnmatchedPrincipalType", "The PrincipalId '" + strings.ReplaceAll(dev, "-", "") + "' has type 'ServicePrincipal' , which is different from specified PrincipalType 'User'."},
		{"missing resource group", "PUT", ra(sub+"/resourceGroups/nope", uuid.NewString()) + raAPI, body(rbac.RoleReader, dev, ""), 404,
			"ResourceGroupNotFound", "Resource group 'nope' could not be found."},
		{"missing vault", "PUT", ra(sub+"/resourceGroups/"+scenario.ResourceGroup+"/providers/Microsoft.KeyVault/vaults/nope", uuid.NewString()) + raAPI,
			body(rbac.RoleReader, dev, ""), 404, "ResourceNotFound",
			"The Resource 'Microsoft.KeyVault/vaults/nope' under resource group '" + scenario.ResourceGroup + "' was not found."},
		{"get missing assignment", "GET", ra(vault, "11111111-1111-1111-1111-111111111111") + raAPI, "", 404, "RoleAssignmentNotFound",
			"The role assignment '11111111-1111-1111-1111-111111111111' is not found."},
		{"unknown role definition", "GET", sub + "/providers/Microsoft.Authorization/roleDefinitions/" + uuid.Nil.String() + raAPI, "", 404,
			"RoleDefinitionDoesNotExist", "The specified role definition with ID '" + uuid.Nil.String() + "' does not exist."},
		{"bad filter", "GET", vault + "/providers/Microsoft.Authorization/roleAssignments" + raAPI + "&$filter=foo", "", 400, "UnsupportedQuery", ""},
		{"unknown path", "GET", "/foo/bar" + raAPI, "", 404, "InvalidResourceType", ""},
		{"unknown type", "GET", sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm?api-version=2024-01-01", "", 404, "InvalidResourceType", ""},
		{"bad subscription id", "GET", "/subscriptions/xyz?api-version=2022-12-01", "", 400, "InvalidSubscriptionId",
			"The provided subscription identifier 'xyz' is malformed or invalid."},
		{"method", "POST", sub + "/resourcegroups/x?api-version=2021-04-01", "", 405, "MethodNotAllowed", ""},
		{"missing rg", "GET", sub + "/resourcegroups/nope?api-version=2021-04-01", "", 404, "ResourceGroupNotFound", "Resource group 'nope' could not be found."},
		{"rg without location", "PUT", sub + "/resourcegroups/new-rg?api-version=2021-04-01", "{}", 400, "LocationRequired",
			"The location property is required for this definition."},
		{"missing vault get", "GET", sub + "/resourceGroups/" + scenario.ResourceGroup + "/providers/Microsoft.KeyVault/vaults/nope?api-version=2023-07-01",
			"", 404, "ResourceNotFound", "The Resource 'Microsoft.KeyVault/vaults/nope' under resource group '" + scenario.ResourceGroup + "' was not found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.call(t, tc.method, tc.path, tok, tc.body)
			if res.status != tc.status || res.code != tc.code || !strings.HasPrefix(res.msg, tc.msg) {
				t.Errorf("got %d %s %q, want %d %s %q", res.status, res.code, res.msg, tc.status, tc.code, tc.msg)
			}
		})
	}
}

// Owner vs Contributor on role assignments: NotActions at work through ARM,
// with the decision recorded for the trace.
func TestContributorCannotAssign(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-contrib")
	dev := label(w, scenario.LabelLocalDev)
	sub := "/subscriptions/" + w.SubscriptionID()
	if err := w.Update(t.Context(), func(tx *world.Tx) error {
		tx.AddRoleAssignment(rbac.Assignment{Scope: sub, RoleDefinitionID: rbac.RoleContributor, PrincipalID: dev})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tok := c.token(t, w, scenario.LabelLocalDev, entra.ResourceARM, w.Now())
	body := `{"properties":{"roleDefinitionId":"` + sub + `/providers/Microsoft.Authorization/roleDefinitions/` + rbac.RoleReader + `","principalId":"` + dev + `"}}`
	res := c.call(t, "PUT", sub+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString()+raAPI, tok, body)
	if res.status != 403 || res.code != "AuthorizationFailed" {
		t.Fatalf("got %d %s", res.status, res.code)
	}
	// But Contributor can create a resource group.
	res = c.call(t, "PUT", sub+"/resourcegroups/contrib-rg?api-version=2021-04-01", tok, `{"location":"eastus"}`)
	if res.status != 201 {
		t.Fatalf("rg create: %d %s", res.status, res.body)
	}
}

// Resource groups, the vault's permission model and a site's identity.
func TestResources(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-res")
	tok := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, w.Now())
	sub := "/subscriptions/" + w.SubscriptionID()
	rg := sub + "/resourcegroups/lesson-rg?api-version=2021-04-01"

	res := c.call(t, "PUT", rg, tok, `{"location":"East US","tags":{"a":"b"}}`)
	var g rgJSON
	_ = json.Unmarshal(res.body, &g)
	if res.status != 201 || g.ID != sub+"/resourceGroups/lesson-rg" || g.Type != "Microsoft.Resources/resourceGroups" ||
		g.Location != "eastus" || g.Properties["provisioningState"] != "Succeeded" || g.Tags["a"] != "b" {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if res = c.call(t, "PUT", rg, tok, `{"location":"eastus"}`); res.status != 200 {
		t.Errorf("update: %d", res.status)
	}
	if res = c.call(t, "PUT", rg, tok, `{"location":"westus"}`); res.status != 409 || res.code != "InvalidResourceGroupLocation" {
		t.Errorf("move: %d %s", res.status, res.code)
	}
	res = c.call(t, "GET", sub+"/resourcegroups?api-version=2021-04-01", tok, "")
	var list struct{ Value []rgJSON }
	if err := json.Unmarshal(res.body, &list); err != nil || len(list.Value) != 2 {
		t.Errorf("list: %s", res.body)
	}
	if res = c.call(t, "DELETE", rg, tok, ""); res.status != 200 {
		t.Errorf("delete: %d", res.status)
	}
	if res = c.call(t, "GET", rg, tok, ""); res.code != "ResourceGroupNotFound" {
		t.Errorf("get deleted: %d %s", res.status, res.code)
	}
	if res = c.call(t, "GET", sub+"?api-version=2022-12-01", tok, ""); res.status != 200 || !strings.Contains(string(res.body), `"tenantId":"`+w.TenantID()+`"`) {
		t.Errorf("subscription: %d %s", res.status, res.body)
	}
	// az login lists the caller's tenants first: its own, by domain.
	res = c.call(t, "GET", "/tenants?api-version=2022-12-01", tok, "")
	var tenants struct{ Value []tenantJSON }
	if err := json.Unmarshal(res.body, &tenants); err != nil || res.status != 200 || len(tenants.Value) != 1 ||
		tenants.Value[0].TenantID != w.TenantID() || tenants.Value[0].ID != "/tenants/"+w.TenantID() ||
		!strings.HasSuffix(tenants.Value[0].DefaultDomain, ".onmicrosoft.com") || tenants.Value[0].TenantCategory != "Home" {
		t.Errorf("tenants: %d %s", res.status, res.body)
	}
	if res = c.call(t, "GET", "/tenants?api-version=2015-01-01", tok, ""); res.status != 400 || res.code != "InvalidApiVersionParameter" {
		t.Errorf("tenants, old api-version: %d %s", res.status, res.code)
	}
	if res = c.call(t, "POST", "/tenants?api-version=2022-12-01", tok, ""); res.status != 405 {
		t.Errorf("tenants, POST: %d %s", res.status, res.code)
	}

	t.Run("vault permission model", func(t *testing.T) {
		v := vaultID(w) + "?api-version=2023-07-01"
		res := c.call(t, "GET", v, tok, "")
		var vj vaultJSON
		_ = json.Unmarshal(res.body, &vj)
		if res.status != 200 || !vj.Properties.EnableRbacAuthorization || vj.Properties.TenantID != w.TenantID() ||
			!strings.HasSuffix(vj.Properties.VaultURI, ".vault.azure.net/") {
			t.Fatalf("get: %d %s", res.status, res.body)
		}
		res = c.call(t, "PATCH", v, tok, `{"properties":{"enableRbacAuthorization":false}}`)
		_ = json.Unmarshal(res.body, &vj)
		if res.status != 200 || vj.Properties.EnableRbacAuthorization {
			t.Fatalf("patch: %d %s", res.status, res.body)
		}
		dev := label(w, scenario.LabelLocalDev)
		pol := `{"properties":{"accessPolicies":[{"tenantId":"` + w.TenantID() + `","objectId":"` + dev + `","permissions":{"secrets":["get","list"]}}]}}`
		ap := vaultID(w) + "/accessPolicies/add?api-version=2023-07-01"
		if res = c.call(t, "PUT", ap, tok, pol); res.status != 200 || !strings.Contains(string(res.body), `"type":"Microsoft.KeyVault/vaults/accessPolicies"`) {
			t.Fatalf("add policy: %d %s", res.status, res.body)
		}
		var got []world.AccessPolicy
		w.View(func(s *world.State) { got = s.Vault(scenario.ResourcesOf(s).Vault).AccessPolicies })
		if len(got) != 1 || got[0].ObjectID != dev || len(got[0].Permissions.Secrets) != 2 {
			t.Fatalf("policies %+v", got)
		}
		rm := `{"properties":{"accessPolicies":[{"tenantId":"` + w.TenantID() + `","objectId":"` + dev + `","permissions":{"secrets":["get","list"]}}]}}`
		if res = c.call(t, "PUT", vaultID(w)+"/accessPolicies/remove?api-version=2023-07-01", tok, rm); res.status != 200 {
			t.Fatalf("remove: %d", res.status)
		}
		w.View(func(s *world.State) { got = s.Vault(scenario.ResourcesOf(s).Vault).AccessPolicies })
		if len(got) != 0 {
			t.Errorf("policies after remove %+v", got)
		}
		if res = c.call(t, "PUT", vaultID(w)+"/accessPolicies/merge?api-version=2023-07-01", tok, rm); res.status != 400 {
			t.Errorf("bad op: %d", res.status)
		}
		// localDev may not change the permission model.
		devTok := c.token(t, w, scenario.LabelLocalDev, entra.ResourceARM, w.Now())
		if res = c.call(t, "PATCH", v, devTok, `{"properties":{"enableRbacAuthorization":true}}`); res.status != 403 ||
			!strings.Contains(res.msg, "'Microsoft.KeyVault/vaults/write' over scope '"+vaultID(w)+"'") {
			t.Errorf("localDev patch: %d %q", res.status, res.msg)
		}
	})

	t.Run("site identity", func(t *testing.T) {
		var site string
		w.View(func(s *world.State) {
			site = s.SiteID(s.Site(scenario.ResourcesOf(s).MainSite))
		})
		u := site + "?api-version=2023-12-01"
		old := label(w, scenario.LabelMainApp)
		res := c.call(t, "GET", u, tok, "")
		var sj siteJSON
		_ = json.Unmarshal(res.body, &sj)
		if res.status != 200 || sj.Identity == nil || sj.Identity.Type != "SystemAssigned" || sj.Identity.PrincipalID != old {
			t.Fatalf("get: %d %s", res.status, res.body)
		}
		if res = c.call(t, "PATCH", u, tok, `{"identity":{"type":"None"}}`); res.status != 200 || strings.Contains(string(res.body), `"identity"`) {
			t.Fatalf("none: %d %s", res.status, res.body)
		}
		if _, ok := principalExists(w, old); ok {
			t.Error("the old identity's service principal still exists")
		}
		res = c.call(t, "PATCH", u, tok, `{"identity":{"type":"SystemAssigned"}}`)
		sj = siteJSON{}
		_ = json.Unmarshal(res.body, &sj)
		if res.status != 200 || sj.Identity == nil || sj.Identity.PrincipalID == "" || sj.Identity.PrincipalID == old ||
			sj.Identity.TenantID != w.TenantID() {
			t.Fatalf("assign: %d %s", res.status, res.body)
		}
		if res = c.call(t, "PATCH", u, tok, `{"identity":{"type":"Sometimes"}}`); res.status != 400 {
			t.Errorf("bad type: %d", res.status)
		}
	})
}

// Propagation: a new assignment is listed at once but grants only later.
func TestPropagationThroughARM(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-prop")
	if err := w.Update(t.Context(), func(tx *world.Tx) error {
		tx.State.PropagationDelay = 5 * time.Minute
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tok := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, w.Now())
	dev := label(w, scenario.LabelLocalDev)
	sub := "/subscriptions/" + w.SubscriptionID()
	vault := vaultID(w)
	body := `{"properties":{"roleDefinitionId":"` + sub + secretsUserRef + `","principalId":"` + dev + `"}}`
	name := uuid.NewString()
	if res := c.call(t, "PUT", vault+"/providers/Microsoft.Authorization/roleAssignments/"+name+raAPI, tok, body); res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	d := w.Authorize(dev, "Microsoft.KeyVault/vaults/secrets/getSecret/action", true, vault+"/secrets/x")
	if d.Allowed || len(d.Considered) != 1 || d.Considered[0].Reason != rbac.ReasonNotYetEffective {
		t.Errorf("decision: %+v", d)
	}
	if res := c.call(t, "GET", vault+"/providers/Microsoft.Authorization/roleAssignments/"+name+raAPI, tok, ""); res.status != 200 {
		t.Errorf("get: %d", res.status)
	}
}
