package entra

import (
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// TestUsernamePasswordCredential: "signed in as yourself" through MSAL's
// public-client flow (user realm discovery, password grant, id_token).
func TestUsernamePasswordCredential(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-user")
	user := principal(t, w, scenario.LabelDeveloper)
	_, password := keychain(w, scenario.LabelDeveloper)
	opts := &azidentity.UsernamePasswordCredentialOptions{ClientOptions: s.clientOptions()}

	cred, err := azidentity.NewUsernamePasswordCredential(w.TenantID(), AzureCLIClientID, user.UserPrincipalName, password, opts) //nolint:staticcheck // deprecated, still shipped
	if err != nil {
		t.Fatal(err)
	}
	at, err := getToken(t, cred, "https://management.azure.com//.default")
	if err != nil {
		t.Fatal(err)
	}
	c := verifyWithJWKS(t, s.clientOptions(), w.TenantID(), at.Token)
	if c["upn"] != user.UserPrincipalName || c["idtyp"] != "user" || c["appid"] != AzureCLIClientID || c["scp"] != "user_impersonation" || c["oid"] != user.ObjectID || c["aud"] != ResourceARM {
		t.Fatalf("claims %v", c)
	}

	bad, _ := azidentity.NewUsernamePasswordCredential(w.TenantID(), AzureCLIClientID, user.UserPrincipalName, "wrong", opts) //nolint:staticcheck
	if _, err := getToken(t, bad, "https://vault.azure.net/.default"); err == nil || !strings.Contains(err.Error(), "AADSTS50126") {
		t.Fatalf("err = %v", err)
	}

	t.Run("refresh token round trip", func(t *testing.T) {
		rec, _ := post(s, w.TenantID(), url.Values{"grant_type": {"password"}, "client_id": {AzureCLIClientID},
			"username": {user.UserPrincipalName}, "password": {password}, "scope": {"https://vault.azure.net/.default openid offline_access"}})
		rt := jsonField(t, rec.Body.Bytes(), "refresh_token")
		if rec.Code != 200 || rt == "" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		rec, _ = post(s, w.TenantID(), url.Values{"grant_type": {"refresh_token"}, "client_id": {AzureCLIClientID},
			"refresh_token": {rt}, "scope": {"https://storage.azure.com/.default"}})
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if _, verr := NewValidator(s.keys).Validate(jsonField(t, rec.Body.Bytes(), "access_token"), w, ResourceStorage); verr != nil {
			t.Fatal(verr)
		}
		rec, _ = post(s, w.TenantID(), url.Values{"grant_type": {"refresh_token"}, "client_id": {AzureCLIClientID},
			"refresh_token": {rt[:len(rt)-2] + "00"}, "scope": {"https://storage.azure.com/.default"}})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "invalid_grant") {
			t.Fatalf("tampered refresh token: %d %s", rec.Code, rec.Body)
		}
	})
}
