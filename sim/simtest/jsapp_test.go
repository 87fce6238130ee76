package simtest_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

const jsApp = "testdata/jsapp"

// nodeTools finds node and npm; without them the test is skipped, except in
// CI (CI=true), where a missing node fails it.
func nodeTools(t *testing.T) (node, npm string) {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		if os.Getenv("CI") == "true" && errNode != nil {
			t.Fatalf("node is required in CI: %v", errNode)
		}
		t.Skipf("node or npm not found on PATH (node: %v, npm: %v): the JavaScript check needs Node.js 20+ (the lock file's @azure packages require it)", errNode, errNpm)
	}
	return node, npm
}

// installJSApp runs npm ci in testdata/jsapp when node_modules is missing
// (the lock file pins every package).
func installJSApp(t *testing.T, npm string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(jsApp, "node_modules", "@azure", "keyvault-secrets")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = jsApp
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
		t.Skipf("npm ci failed (no registry access?): %v\n%s", err, out)
	}
}

// TestJavaScriptDocsAppThroughProxy runs the docs' JavaScript code
// (DefaultAzureCredential + SecretClient + getSecret, testdata/jsapp/index.js)
// unmodified with Node.js, configured only by environment variables:
// HTTPS_PROXY (with the sandbox's proxy credentials), NODE_EXTRA_CA_CERTS,
// AZURE_TENANT_ID/CLIENT_ID/CLIENT_SECRET, VAULT_URL and SECRET_NAME. Without
// a role the vault answers 403 ForbiddenByRbac; with Key Vault Secrets User
// the secret is read. The trace shows the exchanges via the proxy.
func TestJavaScriptDocsAppThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm and node")
	}
	node, npm := nodeTools(t)
	installJSApp(t, npm)
	e := newEnv(t, "sbx-js", "sbx-js-other").withProxy()
	b := e.boxes["sbx-js"]
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, e.ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	runWith := func(t *testing.T, azureEnv bool) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "index.js")
		cmd.Dir = jsApp
		cmd.Env = []string{
			"HTTPS_PROXY=" + e.proxyURL(b.id).String(),
			"NODE_EXTRA_CA_CERTS=" + caFile,
			"VAULT_URL=" + b.vaultURL(),
			"SECRET_NAME=" + scenario.SecretName,
		}
		if azureEnv {
			cmd.Env = append(cmd.Env,
				"AZURE_TENANT_ID="+b.w.TenantID(),
				"AZURE_CLIENT_ID="+b.principal(scenario.LabelLocalDev).AppID,
				"AZURE_CLIENT_SECRET="+b.secret(scenario.LabelLocalDev))
		}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		return string(out), code
	}
	run := func(t *testing.T) (string, int) { return runWith(t, true) }
	checkTrace := func(t *testing.T, exs []trace.Exchange, last int) {
		t.Helper()
		if len(exs) < 3 {
			t.Fatalf("trace too short:%s", describe(exs))
		}
		first := exs[0]
		if first.Service != "keyvault" || first.Status != http.StatusUnauthorized || first.RequestHeaders.Get("Authorization") != "" {
			t.Errorf("first exchange is not the vault's challenge:%s", describe(exs))
		}
		var tokens int
		for _, ex := range exs {
			// msal-node adds ?client-request-id= to the token URL.
			if ex.Via != "proxy" || ex.SandboxID != b.id {
				t.Errorf("%s %s: via %q sandbox %q", ex.Method, ex.URL, ex.Via, ex.SandboxID)
			}
			if ex.Service == "entra" && strings.Contains(ex.URL, "/oauth2/v2.0/token?") && ex.Status == http.StatusOK {
				tokens++
				if !strings.Contains(ex.RequestBody, "client_secret=") || strings.Contains(ex.RequestBody, b.secret(scenario.LabelLocalDev)) {
					t.Errorf("token request body not masked: %q", ex.RequestBody)
				}
			}
		}
		if tokens != 1 {
			t.Errorf("%d successful token requests:%s", tokens, describe(exs))
		}
		site, _ := b.site(b.names.ThirdPartySite)
		assertNoSecrets(t, exs, b.secret(scenario.LabelLocalDev), site.FunctionKeys["default"], accessKey(b.id))
		l := exs[len(exs)-1]
		if l.Service != "keyvault" || l.Status != last || l.Authz == nil || l.Authz.Allowed != (last == http.StatusOK) ||
			claim(l.Token, "appid") != b.principal(scenario.LabelLocalDev).AppID {
			t.Errorf("last exchange %d, authz %+v:%s", l.Status, l.Authz, describe(exs))
		}
	}

	// No AZURE_* variables: every link of the chain is unavailable. IMDS
	// (plain HTTP, sent to the proxy too: @azure/core-rest-pipeline uses
	// HTTPS_PROXY for http: URLs when HTTP_PROXY is unset) is dropped by the
	// proxy as unreachable, so the probe fails at once rather than retrying.
	t.Run("no credentials: the chain is unavailable, nothing reaches Entra", func(t *testing.T) {
		out, code := runWith(t, false)
		if code != 3 || !strings.Contains(out, "EnvironmentCredential is unavailable") ||
			!strings.Contains(out, "IMDS endpoint, but it is not available") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		exs := e.since(b.id, 0)
		if len(exs) != 1 || exs[0].Service != "keyvault" || exs[0].Status != http.StatusUnauthorized {
			t.Errorf("want only the vault's challenge:%s", describe(exs))
		}
	})

	t.Run("without a role: 403 ForbiddenByRbac", func(t *testing.T) {
		seq := e.lastSeq(b.id)
		out, code := run(t)
		if code != 3 || !(strings.Contains(out, "ForbiddenByRbac") || strings.Contains(out, "Caller is not authorized")) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		exs := e.since(b.id, seq)
		t.Logf("node: %s\ntrace:%s", strings.TrimSpace(strings.SplitN(out, "\n", 2)[0]), describe(exs))
		checkTrace(t, exs, http.StatusForbidden)
	})

	b.grant(t, scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, b.vaultScope)
	t.Run("with Key Vault Secrets User: reads the secret", func(t *testing.T) {
		seq := e.lastSeq(b.id)
		out, code := run(t)
		if code != 0 || !strings.Contains(out, "SECRET-LENGTH 40") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		exs := e.since(b.id, seq)
		t.Logf("trace:%s", describe(exs))
		checkTrace(t, exs, http.StatusOK)
	})

	if n := len(e.since("sbx-js-other", 0)); n != 0 {
		t.Errorf("the other sandbox's trace has %d exchanges", n)
	}
}
