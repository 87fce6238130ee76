package simtest_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// TestWalkthroughMainAppInPython runs the walkthrough's main app
// (testdata/pyapp/main_app.py: Key Vault, then the third-party API with the
// key, then a queue message) with Debian's python3-azure through the proxy,
// on the workstation as localDev and as the App Service site's managed
// identity. Without roles it stops at get_secret (403); with Key Vault
// Secrets User on the vault and Storage Queue Data Contributor on the queue
// the message lands in the queue.
func TestWalkthroughMainAppInPython(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Python")
	}
	py := pythonAzure(t)
	e := newEnv(t, "sbx-main-ws", "sbx-main-site").withProxy()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, e.ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	places := []struct {
		name, id, label string
		env             func(b *box) []string
	}{
		{"workstation as localDev", "sbx-main-ws", scenario.LabelLocalDev, func(b *box) []string {
			return []string{"AZURE_TENANT_ID=" + b.w.TenantID(), "AZURE_CLIENT_ID=" + b.principal(scenario.LabelLocalDev).AppID,
				"AZURE_CLIENT_SECRET=" + b.secret(scenario.LabelLocalDev)}
		}},
		{"site's managed identity", "sbx-main-site", scenario.LabelMainApp, func(b *box) []string {
			site, _ := b.site(b.names.MainSite)
			return []string{"IDENTITY_ENDPOINT=" + entra.AppServiceIdentityEndpoint, "IDENTITY_HEADER=" + site.IdentityHeader}
		}},
	}
	for _, p := range places {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			b := e.boxes[p.id]
			who := b.principal(p.label)
			run := func(t *testing.T) (string, int) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, py, "testdata/pyapp/main_app.py")
				proxy := e.proxyURL(b.id).String()
				cmd.Env = append([]string{
					"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(),
					"HTTPS_PROXY=" + proxy, "HTTP_PROXY=" + proxy, "REQUESTS_CA_BUNDLE=" + caFile,
					// The app settings the walkthrough gives the site.
					"KEY_VAULT_URL=" + b.vaultURL(), "THIRD_PARTY_API_ENDPOINT=" + b.apiURL(),
					"STORAGE_QUEUE_URL=" + strings.TrimSuffix(b.queueServiceURL(), "/") + "/" + scenario.QueueName,
				}, p.env(b)...)
				out, err := cmd.CombinedOutput()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("python: %v\n%s", err, out)
				}
				return string(out), code
			}

			out, code := run(t)
			if code != 3 || !strings.Contains(out, "ForbiddenByRbac") || !strings.Contains(out, "HttpResponseError") {
				t.Fatalf("without roles: exit %d:\n%s", code, out)
			}
			if n := len(find(e.since(b.id, 0), "queue", http.StatusCreated)); n != 0 {
				t.Errorf("a message was sent without roles")
			}

			b.grant(t, p.label, rbac.RoleKeyVaultSecretsUser, b.vaultScope)
			b.grant(t, p.label, rbac.RoleStorageQueueDataContributor, b.queueScope)
			seq := e.lastSeq(b.id)
			out, code = run(t)
			m := regexp.MustCompile(`NUMBER (\d+)\nMESSAGE-ID (\S+)`).FindStringSubmatch(out)
			if code != 0 || m == nil {
				t.Fatalf("with roles: exit %d:\n%s", code, out)
			}
			exs := e.since(b.id, seq)
			t.Logf("trace:%s", describe(exs))
			for _, want := range []struct {
				service service.Name
				status  int
			}{{service.KeyVault, http.StatusOK}, {service.WebApps, http.StatusOK}, {service.Queue, http.StatusCreated}} {
				hits := find(exs, want.service, want.status)
				if len(hits) == 0 {
					t.Errorf("no %s %d in the trace", want.service, want.status)
					continue
				}
				if want.service != service.WebApps && claim(hits[0].Token, "oid") != who.ObjectID {
					t.Errorf("%s called as %s, not %s", want.service, claim(hits[0].Token, "oid"), p.label)
				}
			}
			var text string
			b.w.View(func(st *world.State) {
				for _, msg := range st.StorageAccount(b.names.StorageAccount).Queues[scenario.QueueName].Messages {
					if msg.ID == m[2] {
						text = msg.Text
					}
				}
			})
			if text != "Random number: "+m[1] {
				t.Errorf("queued message %q, want %q", text, "Random number: "+m[1])
			}
			site, _ := b.site(b.names.ThirdPartySite)
			assertNoSecrets(t, exs, b.secret(scenario.LabelLocalDev), site.FunctionKeys["default"], accessKey(b.id))
		})
	}
}
