package graph

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const vaultScope = "https://vault.azure.net/.default"

// aadsts returns the AADSTS code of a failed token request, "" when it
// succeeded.
func aadsts(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae *azidentity.AuthenticationFailedError
	if !errors.As(err, &ae) {
		t.Fatalf("not an authentication failure: %v", err)
	}
	msg := ae.Error()
	i := strings.Index(msg, "AADSTS")
	if i < 0 {
		t.Fatalf("no AADSTS code in %q", msg)
	}
	j := i + len("AADSTS")
	for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
		j++
	}
	return msg[i:j]
}

// TestAppLifecycle is az ad sp create-for-rbac, az ad app credential
// delete and az ad app delete on the wire: each step shows at the token
// endpoint.
func TestAppLifecycle(t *testing.T) {
	e := newEnv(t)
	tok := e.graphToken(e.labelled(scenario.LabelOwner))

	app := e.call(tok, "POST", "/v1.0/applications", `{"displayName":"ci-deployer"}`)
	if app.status != http.StatusCreated || app.str("appId") == "" || app.str("id") == "" || app.str("displayName") != "ci-deployer" {
		t.Fatalf("create application = %d %s", app.status, app.raw)
	}
	if got := app.str("@odata.context"); got != "https://graph.microsoft.com/v1.0/$metadata#applications/$entity" {
		t.Errorf("@odata.context = %q", got)
	}
	n := e.lastNotes()
	if n.SandboxID != e.w.ID() || n.Authn == nil || !n.Authn.OK || n.Authz == nil ||
		n.Authz.Model != "directoryRole" || !n.Authz.Allowed {
		t.Errorf("notes = %+v authz %+v", n, n.Authz)
	}
	appID, appObj := app.str("appId"), app.str("id")

	sp := e.call(tok, "POST", "/v1.0/servicePrincipals", jsonBody(map[string]string{"appId": appID}))
	if sp.status != http.StatusCreated || sp.str("appId") != appID || sp.str("servicePrincipalType") != "Application" {
		t.Fatalf("create service principal = %d %s", sp.status, sp.raw)
	}
	spID := sp.str("id")
	list := e.call(tok, "GET", "/v1.0/servicePrincipals?$filter=appId%20eq%20'"+appID+"'", "")
	if vals, _ := list.body["value"].([]any); list.status != 200 || len(vals) != 1 || vals[0].(map[string]any)["id"] != spID {
		t.Fatalf("filter by appId = %d %s", list.status, list.raw)
	}
	for _, path := range []string{"/v1.0/applications/" + appObj, "/v1.0/applications(appId='" + appID + "')"} {
		if got := e.call(tok, "GET", path, ""); got.status != 200 || got.str("appId") != appID {
			t.Errorf("GET %s = %d %s", path, got.status, got.raw)
		}
	}
	if got := e.call(tok, "GET", "/v1.0/servicePrincipals/"+spID, ""); got.status != 200 || got.str("appId") != appID {
		t.Errorf("GET sp = %d %s", got.status, got.raw)
	}

	pw := e.call(tok, "POST", "/v1.0/applications/"+appObj+"/addPassword", `{"passwordCredential":{"displayName":"rbac"}}`)
	secret := pw.str("secretText")
	if pw.status != 200 || len(secret) != 40 || pw.str("keyId") == "" || pw.str("hint") != secret[:3] ||
		pw.str("startDateTime") == "" || pw.str("endDateTime") == "" {
		t.Fatalf("addPassword = %d %s", pw.status, pw.raw)
	}
	// The value is shown once: reading the app lists the secret without it.
	again := e.call(tok, "GET", "/v1.0/applications/"+appObj, "")
	if strings.Contains(again.raw, secret) || !strings.Contains(again.raw, pw.str("keyId")) {
		t.Errorf("application after addPassword: %s", again.raw)
	}
	if _, err := e.token(e.credential(appID, secret), vaultScope); err != nil {
		t.Fatalf("the new secret does not work: %v", err)
	}

	rm := e.call(tok, "POST", "/v1.0/applications/"+appObj+"/removePassword", jsonBody(map[string]string{"keyId": pw.str("keyId")}))
	if rm.status != http.StatusNoContent {
		t.Fatalf("removePassword = %d %s", rm.status, rm.raw)
	}
	_, err := e.token(e.credential(appID, secret), vaultScope)
	if code := aadsts(t, err); code != "AADSTS7000215" {
		t.Errorf("removed secret: %s (%v)", code, err)
	}

	pw2 := e.call(tok, "POST", "/v1.0/applications(appId='"+appID+"')/addPassword", "")
	if pw2.status != 200 {
		t.Fatalf("addPassword by appId = %d %s", pw2.status, pw2.raw)
	}
	if del := e.call(tok, "DELETE", "/v1.0/applications/"+appObj, ""); del.status != http.StatusNoContent {
		t.Fatalf("delete application = %d %s", del.status, del.raw)
	}
	_, err = e.token(e.credential(appID, pw2.str("secretText")), vaultScope)
	if code := aadsts(t, err); code != "AADSTS700016" {
		t.Errorf("deleted app: %s (%v)", code, err)
	}
	if got := e.call(tok, "GET", "/v1.0/servicePrincipals/"+spID, ""); got.status != 404 {
		t.Errorf("sp after app delete = %d", got.status)
	}
}

// TestErrors checks Graph's status codes and error envelope.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	owner := e.graphToken(e.labelled(scenario.LabelOwner))
	localDev := e.graphToken(e.labelled(scenario.LabelLocalDev))
	vaultTok, err := e.token(e.labelled(scenario.LabelOwner), vaultScope)
	if err != nil {
		t.Fatal(err)
	}
	var ownerApp, ownerAppID string
	e.w.View(func(st *world.State) {
		p := st.Principals[st.Labels[scenario.LabelOwner]]
		ownerApp, ownerAppID = p.AppObjectID, p.AppID
	})
	missing := world.NewGUID()
	cases := []struct {
		name, token, method, path, body string
		status                          int
		code, message                   string
	}{
		{"no token", "", "GET", "/v1.0/servicePrincipals", "", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"garbage token", "not-a-jwt", "GET", "/v1.0/servicePrincipals", "", 401, "InvalidAuthenticationToken", ""},
		{"vault token", vaultTok, "GET", "/v1.0/servicePrincipals", "", 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."},
		{"non-admin create", localDev, "POST", "/v1.0/applications", `{"displayName":"x"}`, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"non-admin addPassword", localDev, "POST", "/v1.0/applications/" + ownerApp + "/addPassword", `{}`, 403, "Authorization_RequestDenied", ""},
		{"unknown app", owner, "GET", "/v1.0/applications/" + missing, "", 404, "Request_ResourceNotFound", "Resource '" + missing + "' does not exist or one of its queried reference-property objects are not present."},
		{"unknown appId", owner, "DELETE", "/v1.0/applications(appId='" + missing + "')", "", 404, "Request_ResourceNotFound", ""},
		{"unknown sp", owner, "GET", "/v1.0/servicePrincipals/" + missing, "", 404, "Request_ResourceNotFound", ""},
		{"unknown sp delete", owner, "DELETE", "/v1.0/servicePrincipals/" + missing, "", 404, "Request_ResourceNotFound", ""},
		{"addPassword unknown app", owner, "POST", "/v1.0/applications/" + missing + "/addPassword", `{}`, 404, "Request_ResourceNotFound", ""},
		{"bad JSON", owner, "POST", "/v1.0/applications", `{"displayName":`, 400, "BadRequest", ""},
		{"bad JSON addPassword", owner, "POST", "/v1.0/applications/" + ownerApp + "/addPassword", `[1,2`, 400, "BadRequest", ""},
		{"no displayName", owner, "POST", "/v1.0/applications", `{}`, 400, "Request_BadRequest", ""},
		{"past endDateTime", owner, "POST", "/v1.0/applications/" + ownerApp + "/addPassword", `{"passwordCredential":{"endDateTime":"2001-01-01T00:00:00Z"}}`, 400, "Request_BadRequest", ""},
		{"removePassword unknown key", owner, "POST", "/v1.0/applications(appId='" + ownerAppID + "')/removePassword", jsonBody(map[string]string{"keyId": missing}), 400, "Request_BadRequest", ""},
		{"sp for unknown app", owner, "POST", "/v1.0/servicePrincipals", jsonBody(map[string]string{"appId": missing}), 400, "Request_BadRequest", ""},
		{"unsupported filter", owner, "GET", "/v1.0/servicePrincipals?$filter=" + url.QueryEscape("publisherName eq 'a'"), "", 400, "Request_UnsupportedQuery",
			"Unsupported or invalid query filter clause specified for property 'publisherName' of resource 'servicePrincipal'."},
		{"malformed filter", owner, "GET", "/v1.0/applications?$filter=" + url.QueryEscape("startswith(displayName,'a'"), "", 400, "BadRequest", "Invalid filter clause"},
		{"unclosed quote", owner, "GET", "/v1.0/users?$filter=" + url.QueryEscape("userPrincipalName eq 'a"), "", 400, "BadRequest", "Invalid filter clause"},
		{"non-admin list users", localDev, "GET", "/v1.0/users", "", 403, "Authorization_RequestDenied", ""},
		{"unknown user", owner, "GET", "/v1.0/users/nobody@example.com", "", 404, "Request_ResourceNotFound", ""},
		{"getByIds without ids", owner, "POST", "/v1.0/directoryObjects/getByIds", `{"ids":[]}`, 400, "Request_BadRequest", ""},
		{"directoryObjects by id", owner, "GET", "/v1.0/directoryObjects/" + missing, "", 400, "BadRequest", ""},
		{"patch unknown app", owner, "PATCH", "/v1.0/applications/" + missing, `{"displayName":"x"}`, 404, "Request_ResourceNotFound", ""},
		{"patch empty name", owner, "PATCH", "/v1.0/applications/" + ownerApp, `{"displayName":" "}`, 400, "Request_BadRequest", ""},
		{"unknown segment", owner, "GET", "/v1.0/groups", "", 400, "BadRequest", ""},
		{"wrong method", owner, "PUT", "/v1.0/applications/" + ownerApp, "{}", 405, "Request_BadRequest", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(tc.token, tc.method, tc.path, tc.body)
			if a.status != tc.status || a.errorCode() != tc.code {
				t.Fatalf("= %d %s, want %d %s", a.status, a.raw, tc.status, tc.code)
			}
			er := a.body["error"].(map[string]any)
			if tc.message != "" && er["message"] != tc.message {
				t.Errorf("message = %q", er["message"])
			}
			inner, _ := er["innerError"].(map[string]any)
			if inner["request-id"] != a.header.Get("request-id") || inner["client-request-id"] != "c0ffee00-0000-0000-0000-000000000001" || inner["date"] == "" {
				t.Errorf("innerError = %v", inner)
			}
			if tc.status == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if n := e.lastNotes(); tc.status == 403 && (n.Authz == nil || n.Authz.Allowed || n.Authz.Model != "directoryRole") {
				t.Errorf("403 without a directoryRole denial in notes: %+v", n.Authz)
			}
		})
	}
}

// TestDeveloperIsAdmin: the developer user holds Application Administrator.
func TestDeveloperIsAdmin(t *testing.T) {
	e := newEnv(t)
	var p *world.Principal
	e.w.View(func(st *world.State) { p = st.Principals[st.Labels[scenario.LabelDeveloper]] })
	tok, _, err := e.iss.Issue(e.w, p, "https://graph.microsoft.com", e.w.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a := e.call(tok, "POST", "/v1.0/applications", `{"displayName":"dev-app"}`); a.status != 201 {
		t.Fatalf("developer create = %d %s", a.status, a.raw)
	}
}
