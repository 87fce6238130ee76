package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// The docs' flow with the real SDKs through the proxy: owner grants localDev
// "Key Vault Secrets User" on the vault through ARM, localDev reads the
// secret, the grant is removed and the read is refused again; the trace and
// the HAR show every exchange.
func TestEndToEndRoleAssignmentThroughProxy(t *testing.T) {
	m := startMain(t, t.TempDir())
	ctx := context.Background()
	sb := createSandbox(t, m.URL())
	if sb.ProxyURL != m.URL() || sb.CACertURL != m.URL()+"/ca.pem" {
		t.Fatalf("proxyUrl %q caCertUrl %q, server at %s", sb.ProxyURL, sb.CACertURL, m.URL())
	}
	client := proxyClient(sb, caPool(t, sb.CACertURL))

	owner := credential(t, sb, "owner", client)
	localDev := credential(t, sb, "localDev", client)
	secrets := secretsClient(t, sb, localDev, client)

	// Before any grant: 403 ForbiddenByRbac at the call.
	_, err := secrets.GetSecret(ctx, sb.SecretName, "", nil)
	expectForbiddenByRbac(t, err)

	rc := roleAssignments(t, sb, owner, client)
	name := assignSecretsUser(t, ctx, sb, rc)

	got, err := secrets.GetSecret(ctx, sb.SecretName, "", nil)
	if err != nil {
		t.Fatalf("localDev GetSecret with the role: %v", err)
	}
	if got.Value == nil || len(*got.Value) < 10 {
		t.Fatalf("secret value = %v", got.Value)
	}

	if _, err := rc.Delete(ctx, sb.vaultID(), name, nil); err != nil {
		t.Fatalf("delete assignment: %v", err)
	}
	_, err = secrets.GetSecret(ctx, sb.SecretName, "", nil)
	expectForbiddenByRbac(t, err)

	// The trace shows each exchange, in order, attributed to the proxy.
	exs := readTrace(t, m.URL(), sb)
	var kinds []string
	for _, ex := range exs {
		if ex.Via != "proxy" {
			t.Errorf("%v: via %q", ex, ex.Via)
		}
		for _, v := range ex.RequestHeaders["Authorization"] {
			if len(v) > 40 || strings.Count(v, ".") >= 2 {
				t.Errorf("%v: Authorization not masked: %q", ex, v)
			}
		}
		kinds = append(kinds, kind(ex))
	}
	want := []string{
		"kv GET 401",         // challenge
		"token",              // localDev's token
		"kv GET 403 denied",  // no role yet
		"token",              // owner's token for ARM
		"arm PUT 201",        // role assignment created
		"kv GET 200 allowed", // with the role
		"arm DELETE 200",     // role assignment removed
		"kv GET 403 denied",  // refused again
	}
	t.Logf("trace: %v", kinds)
	if !containsInOrder(kinds, want) {
		t.Errorf("trace kinds %v\nwant in order %v", kinds, want)
	}
	for i := 1; i < len(exs); i++ {
		if exs[i].Seq <= exs[i-1].Seq {
			t.Errorf("trace not oldest first at %d", i)
		}
	}

	// The HAR has the same exchanges, masked.
	res, data := getRaw(t, m.URL()+"/api/sandboxes/"+sb.ID+"/trace.har", sb.AccessKey)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("HAR = %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	var har struct {
		Log struct {
			Version string
			Entries []struct {
				Request struct {
					Method, URL string
					Headers     []struct{ Name, Value string }
				}
				Response struct{ Status int }
			}
		}
	}
	if err := json.Unmarshal(data, &har); err != nil {
		t.Fatal(err)
	}
	if har.Log.Version != "1.2" || len(har.Log.Entries) != len(exs) {
		t.Fatalf("HAR %s with %d entries, trace has %d", har.Log.Version, len(har.Log.Entries), len(exs))
	}
	for i, en := range har.Log.Entries {
		if en.Request.URL != exs[i].URL || en.Response.Status != exs[i].Status {
			t.Errorf("HAR entry %d = %s %d, trace %v", i, en.Request.URL, en.Response.Status, exs[i])
		}
		for _, h := range en.Request.Headers {
			if strings.EqualFold(h.Name, "Authorization") && strings.Count(h.Value, ".") >= 2 {
				t.Errorf("HAR entry %d holds a token: %q", i, h.Value)
			}
		}
	}
	for _, p := range sb.Principals {
		if strings.Contains(string(data), p.ClientSecret) {
			t.Error("HAR holds a client secret")
		}
	}
}

func expectForbiddenByRbac(t *testing.T, err error) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden || !strings.Contains(err.Error(), "ForbiddenByRbac") {
		t.Fatalf("want 403 ForbiddenByRbac, got %v", err)
	}
}

// kind summarizes an exchange for order checks.
func kind(ex exchange) string {
	switch {
	case strings.Contains(ex.URL, "/oauth2/v2.0/token"):
		return "token"
	case strings.Contains(ex.URL, ".vault.azure.net/"):
		return "kv " + ex.Method + " " + itoa(ex.Status) + decision(ex)
	case strings.HasPrefix(ex.URL, "https://management.azure.com/") && strings.Contains(ex.URL, "roleAssignments/"):
		return "arm " + ex.Method + " " + itoa(ex.Status)
	}
	return "other " + ex.Method + " " + itoa(ex.Status)
}

func decision(ex exchange) string {
	if ex.Authz == nil {
		return ""
	}
	if ex.Authz.Allowed {
		return " allowed"
	}
	return " denied"
}

func itoa(n int) string { return strconv.Itoa(n) }

// containsInOrder reports whether want is a subsequence of got.
func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
