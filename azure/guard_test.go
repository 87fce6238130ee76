package azure

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

type refuseAll struct{ sent []string }

func (r *refuseAll) RoundTrip(req *http.Request) (*http.Response, error) {
	r.sent = append(r.sent, req.Method+" "+req.URL.String())
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

func TestGuard(t *testing.T) {
	ep, _ := EndpointsOf("public")
	sb := &Sandbox{ID: "sbx1", Subscription: "s1", ResourceGroup: "auth-sandbox-sbx1-ab12", Vault: "kv-auth-0011223344",
		StorageAccount: "stauth0011223344", LocalDev: App{DisplayName: "auth-sandbox-sbx1-localDev", AppID: "dev-app", ObjectID: "app-obj", SPObjectID: "sp-obj"},
		Apps: []App{{Label: "myDev", DisplayName: "auth-sandbox-sbx1-dev", AppID: "my-app", ObjectID: "my-obj", SPObjectID: "my-sp"}}}
	rg := "https://management.azure.com/subscriptions/s1/resourceGroups/auth-sandbox-sbx1-ab12"
	for _, tc := range []struct {
		method, url string
		creating    bool
		allowed     bool
		body        string
	}{
		{"GET", "https://management.azure.com/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments", false, true, ""},
		{"PUT", rg, false, true, ""},
		{"DELETE", rg, false, true, ""},
		{"PUT", rg + "/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/x", false, true, ""},
		{"PUT", strings.ToUpper(rg[:30]) + rg[30:] + "/providers/Microsoft.Authorization/roleAssignments/x", false, true, ""},
		{"PUT", "https://management.azure.com/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/x", false, false, ""},
		{"PUT", rg + "-other/providers/Microsoft.Authorization/roleAssignments/x", false, false, ""},
		{"PUT", rg + "/../auth-scenario-rg/providers/Microsoft.Authorization/roleAssignments/x", false, false, ""},
		{"PUT", rg + "%2F..%2Fother/providers/Microsoft.Authorization/roleAssignments/x", false, false, ""},
		{"PUT", "https://management.azure.com/subscriptions/s2/resourceGroups/auth-sandbox-sbx1-ab12", false, false, ""},
		{"POST", "https://graph.microsoft.com/v1.0/applications/app-obj/addPassword", false, true, ""},
		{"DELETE", "https://graph.microsoft.com/v1.0/servicePrincipals/sp-obj", false, true, ""},
		{"DELETE", "https://graph.microsoft.com/v1.0/applications/someone-else", false, false, ""},
		{"POST", "https://graph.microsoft.com/v1.0/applications", false, false, `{"displayName":"auth-sandbox-sbx1-dev"}`},
		{"POST", "https://graph.microsoft.com/v1.0/applications", true, true, `{"displayName":"auth-sandbox-sbx1-dev-2"}`},
		{"POST", "https://graph.microsoft.com/v1.0/applications", true, false, `{"displayName":"auth-sandbox-sbx2-dev"}`},
		{"POST", "https://graph.microsoft.com/v1.0/applications", true, false, `{"displayName":"someone-else"}`},
		{"POST", "https://graph.microsoft.com/v1.0/applications", true, false, `not json`},
		{"POST", "https://graph.microsoft.com/v1.0/servicePrincipals", true, true, `{"appId":"my-app"}`},
		{"POST", "https://graph.microsoft.com/v1.0/servicePrincipals", true, true, `{"appId":"dev-app"}`},
		{"POST", "https://graph.microsoft.com/v1.0/servicePrincipals", true, false, `{"appId":"someone-elses-app"}`},
		{"POST", "https://graph.microsoft.com/v1.0/applications/my-obj/addPassword", false, true, `{}`},
		{"DELETE", "https://graph.microsoft.com/v1.0/applications/my-obj", false, true, ""},
		{"DELETE", "https://graph.microsoft.com/v1.0/servicePrincipals/my-sp", false, true, ""},
		{"POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token", false, true, ""},
		{"PUT", "https://kv-auth-0011223344.vault.azure.net/secrets/x", false, true, ""},
		{"PUT", "https://kv-other.vault.azure.net/secrets/x", false, false, ""},
		{"POST", "https://stauth0011223344.queue.core.windows.net/messages/messages", false, true, ""},
		{"POST", "https://example.com/", false, false, ""},
	} {
		base := &refuseAll{}
		g := newGuard(base, ep, sb)
		ctx := context.Background()
		if tc.creating {
			ctx = creating(ctx)
		}
		req, err := http.NewRequestWithContext(ctx, tc.method, tc.url, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.RoundTrip(req)
		var se *ScopeError
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s %s refused: %v", tc.method, tc.url, err)
		case !tc.allowed && (!errors.As(err, &se) || len(base.sent) != 0):
			t.Errorf("%s %s: err %v, sent %v; want a refusal before sending", tc.method, tc.url, err, base.sent)
		}
	}
}

func TestErrorCode(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   string
	}{
		{"success", 200, nil, `{}`, ""},
		{"storage", 403, h("x-ms-error-code", "AuthorizationPermissionMismatch"), `<?xml version="1.0"?><Error/>`, "AuthorizationPermissionMismatch"},
		{"key vault", 403, nil, `{"error":{"code":"Forbidden","message":"Caller is not authorized","innererror":{"code":"ForbiddenByRbac"}}}`, "ForbiddenByRbac"},
		{"arm", 403, nil, `{"error":{"code":"AuthorizationFailed","message":"The client …"}}`, "AuthorizationFailed"},
		{"entra", 401, nil, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}`, "AADSTS7000215"},
		{"entra without codes", 400, nil, `{"error":"invalid_request","error_description":"AADSTS900144: The request body must contain client_id."}`, "AADSTS900144"},
		{"oauth only", 400, nil, `{"error":"invalid_grant"}`, "invalid_grant"},
		{"not json", 500, nil, `oops`, ""},
	} {
		if got := ErrorCode(tc.status, tc.header, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
