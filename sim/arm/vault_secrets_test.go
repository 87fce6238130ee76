package arm

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// A secret set through ARM (as templates do): Contributor-level control
// plane, the value stored but never sent back.
func TestVaultSecretThroughARM(t *testing.T) {
	c := newCloud(t)
	w := c.world(t, "sbx-arm-secret")
	owner := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, time.Now())
	dev := c.token(t, w, scenario.LabelLocalDev, entra.ResourceARM, time.Now())
	path := vaultID(w) + "/secrets/api-key-2?api-version=2023-07-01"

	res := c.call(t, http.MethodPut, path, owner, `{"properties":{"value":"s3cr3t-value"}}`)
	var out struct {
		ID, Name, Type string
		Properties     struct {
			SecretURI, SecretURIWithVersion string
			Value                           *string
			Attributes                      struct{ Enabled bool }
		}
	}
	if res.status != http.StatusCreated || json.Unmarshal(res.body, &out) != nil || out.Name != "api-key-2" ||
		out.Type != "Microsoft.KeyVault/vaults/secrets" || !strings.HasSuffix(out.ID, "/secrets/api-key-2") ||
		!strings.HasPrefix(out.Properties.SecretURIWithVersion, out.Properties.SecretURI+"/") || !out.Properties.Attributes.Enabled {
		t.Fatalf("create = %d %s", res.status, res.body)
	}
	if strings.Contains(string(res.body), "s3cr3t-value") {
		t.Error("ARM sent the value back")
	}
	if res := c.call(t, http.MethodPut, path, owner, `{"properties":{"value":"v2"}}`); res.status != http.StatusOK {
		t.Errorf("new version = %d %s", res.status, res.body)
	}
	var versions []string
	vault := vaultID(w)[strings.LastIndex(vaultID(w), "/")+1:]
	w.View(func(st *world.State) {
		for _, v := range st.Vault(vault).Secrets["api-key-2"].Versions {
			versions = append(versions, v.Value)
		}
	})
	if strings.Join(versions, ",") != "s3cr3t-value,v2" {
		t.Errorf("versions = %v", versions)
	}
	for _, tc := range []struct {
		name, token, path, body string
		status                  int
		code                    string
	}{
		{"no role", dev, path, `{"properties":{"value":"x"}}`, 403, "AuthorizationFailed"},
		{"no value", owner, path, `{"properties":{}}`, 400, "BadRequest"},
		{"bad name", owner, vaultID(w) + "/secrets/bad_name?api-version=2023-07-01", `{"properties":{"value":"x"}}`, 400, "BadRequest"},
		{"no vault", owner, strings.Replace(path, "/vaults/", "/vaults/missing", 1), `{"properties":{"value":"x"}}`, 404, "ResourceNotFound"},
	} {
		if res := c.call(t, http.MethodPut, tc.path, tc.token, tc.body); res.status != tc.status || res.code != tc.code {
			t.Errorf("%s: %d %s", tc.name, res.status, res.body)
		}
	}
}
