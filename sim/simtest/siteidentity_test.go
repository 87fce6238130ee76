package simtest_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// TestSiteIdentityThroughProxy is the README's "As the App Service site's
// managed identity": the docs' program in Go, Python and JavaScript, run on
// the workstation through the proxy with only App Service's variables
// (IDENTITY_ENDPOINT, IDENTITY_HEADER) plus the proxy and CA settings and no
// AZURE_*. DefaultAzureCredential picks the managed identity, the token is
// the main app's, Key Vault refuses it until the main app holds Key Vault
// Secrets User, then the secret is read.
func TestSiteIdentityThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs separate programs")
	}
	langs := []struct {
		name string
		ids  string
		// prepare returns the program's command line and directory.
		prepare func(t *testing.T) (argv []string, dir string)
	}{
		{"go", "sbx-mi-go", func(t *testing.T) ([]string, string) {
			return []string{buildGoDocsApp(t)}, ""
		}},
		{"python", "sbx-mi-py", func(t *testing.T) ([]string, string) {
			return []string{pythonAzure(t), "testdata/pyapp/docs_app.py"}, ""
		}},
		{"javascript", "sbx-mi-js", func(t *testing.T) ([]string, string) {
			node, npm := nodeTools(t)
			installJSApp(t, npm)
			return []string{node, "index.js"}, jsApp
		}},
	}
	var ids []string
	for _, l := range langs {
		ids = append(ids, l.ids)
	}
	e := newEnv(t, ids...).withProxy()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, e.ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			b := e.boxes[l.ids]
			site, _ := b.site(b.names.MainSite)
			mainApp := b.principal(scenario.LabelMainApp)
			argv, dir := l.prepare(t)
			run := func(t *testing.T) (string, int) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
				cmd.Dir = dir
				proxy := e.proxyURL(b.id).String()
				cmd.Env = []string{
					"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(),
					"HTTPS_PROXY=" + proxy, "HTTP_PROXY=" + proxy,
					"SSL_CERT_FILE=" + caFile, "REQUESTS_CA_BUNDLE=" + caFile, "NODE_EXTRA_CA_CERTS=" + caFile,
					"IDENTITY_ENDPOINT=" + entra.AppServiceIdentityEndpoint, "IDENTITY_HEADER=" + site.IdentityHeader,
					"VAULT_URL=" + b.vaultURL(), "KEY_VAULT_URL=" + b.vaultURL(), "SECRET_NAME=" + scenario.SecretName,
				}
				out, err := cmd.CombinedOutput()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("%s: %v\n%s", l.name, err, out)
				}
				return string(out), code
			}
			check := func(t *testing.T, exs []trace.Exchange, last int) {
				t.Helper()
				var mi int
				for _, ex := range exs {
					if ex.Via != "proxy" || ex.SandboxID != b.id {
						t.Errorf("%s %s: via %q sandbox %q", ex.Method, ex.URL, ex.Via, ex.SandboxID)
					}
					if strings.HasPrefix(ex.URL, entra.AppServiceIdentityEndpoint+"?") && ex.Status == http.StatusOK {
						mi++
						if ex.Issued == nil || claim(ex.Issued, "oid") != mainApp.ObjectID {
							t.Errorf("managed-identity token not the main app's: %+v", ex.Issued)
						}
					}
					if ex.Service == "entra" && strings.Contains(ex.URL, "/token") {
						t.Errorf("a client-secret token request on the site: %s", ex.URL)
					}
				}
				if mi != 1 {
					t.Errorf("%d managed-identity token answers:%s", mi, describe(exs))
				}
				assertNoSecrets(t, exs, site.IdentityHeader, accessKey(b.id))
				if len(exs) == 0 {
					t.Fatal("empty trace")
				}
				l := exs[len(exs)-1]
				if l.Service != "keyvault" || l.Status != last || claim(l.Token, "oid") != mainApp.ObjectID {
					t.Errorf("last exchange %d:%s", l.Status, describe(exs))
				}
			}

			out, code := run(t)
			if code != 3 || !(strings.Contains(out, "ForbiddenByRbac") || strings.Contains(out, "Caller is not authorized")) {
				t.Fatalf("without a role: exit %d:\n%s", code, out)
			}
			check(t, e.since(b.id, 0), http.StatusForbidden)

			b.grant(t, scenario.LabelMainApp, rbac.RoleKeyVaultSecretsUser, b.vaultScope)
			seq := e.lastSeq(b.id)
			out, code = run(t)
			if code != 0 || !strings.Contains(out, "SECRET-LENGTH 40") {
				t.Fatalf("with Key Vault Secrets User: exit %d:\n%s", code, out)
			}
			exs := e.since(b.id, seq)
			check(t, exs, http.StatusOK)
			t.Logf("%s trace:%s", l.name, describe(exs))
		})
	}
}

// buildGoDocsApp compiles sim/proxy/testdata/docsapp (the docs' Go program)
// with the module's go.mod.
func buildGoDocsApp(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "docsapp")
	cmd := exec.Command(goBin, "build", "-o", bin, "../proxy/testdata/docsapp")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build docsapp: %v\n%s", err, out)
	}
	return bin
}
