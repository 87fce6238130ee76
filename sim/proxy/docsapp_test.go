package proxy

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// buildDocsApp compiles testdata/docsapp with the module's go.mod.
func buildDocsApp(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "docsapp")
	cmd := exec.Command(goBin, "build", "-o", bin, "./testdata/docsapp")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/docsapp: %v\n%s", err, out)
	}
	return bin
}

type docsRun struct {
	output string
	code   int
	// sentBeforeCall is how many exchanges the sandbox's trace gained while
	// the program had created its credential and client but not yet called.
	sentBeforeCall int
}

// runDocsApp runs the program with only the environment a learner sets.
func runDocsApp(t *testing.T, e *env, bin, id, proxyURL, caFile string) docsRun {
	t.Helper()
	w := e.boxes[id]
	var clientID, secret string
	w.View(func(st *world.State) {
		clientID = st.Principals[st.Labels[scenario.LabelLocalDev]].AppID
		secret = st.Keychain[scenario.LabelLocalDev]
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{
		"HTTPS_PROXY=" + proxyURL,
		"SSL_CERT_FILE=" + caFile,
		"AZURE_TENANT_ID=" + w.TenantID(),
		"AZURE_CLIENT_ID=" + clientID,
		"AZURE_CLIENT_SECRET=" + secret,
		"VAULT_URL=https://" + e.names(id).Vault + ".vault.azure.net",
		"WAIT_BEFORE_CALL=1",
		"PATH=/usr/bin:/bin",
		"HOME=" + t.TempDir(),
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	before := len(e.cloud.Book().List(id, 0))
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if sc.Text() == "CLIENT-CREATED" {
			break
		}
	}
	run := docsRun{sentBeforeCall: len(e.cloud.Book().List(id, 0)) - before}
	io.WriteString(stdin, "\n")
	rest, _ := io.ReadAll(stdout)
	out.Write(rest)
	err = cmd.Wait()
	run.output = out.String()
	if ee, ok := err.(*exec.ExitError); ok {
		run.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docsapp: %v\n%s", err, run.output)
	}
	return run
}

func describe(exs []trace.Exchange) string {
	var b strings.Builder
	for _, ex := range exs {
		b.WriteString("\n  " + ex.Via + " " + ex.Method + " " + ex.URL + " → " + http.StatusText(ex.Status))
	}
	return b.String()
}

// TestDocsAppThroughProxy is the docs' code path, as a separate program
// configured only by environment variables: DefaultAzureCredential +
// azsecrets.NewClient + GetSecret through the proxy over real TLS. Without a
// role it fails with ForbiddenByRbac; with Key Vault Secrets User it reads the
// secret. The trace shows that the constructors send nothing and that the
// first exchange is GetSecret's unauthenticated challenge.
func TestDocsAppThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a separate program")
	}
	bin := buildDocsApp(t)
	e := newEnv(t, "sbx-docs", "sbx-other")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, e.ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	anonymous := e.srv.URL
	pu, _ := url.Parse(e.srv.URL)
	pu.User = url.UserPassword("sbx-docs", "pw-sbx-docs")
	withCreds := pu.String()
	book := e.cloud.Book()
	secretPath := "/secrets/" + scenario.SecretName + "/"

	// checkTrace asserts the shape of one run's exchanges.
	checkTrace := func(t *testing.T, run docsRun, exs []trace.Exchange, lastStatus int) {
		t.Helper()
		if run.sentBeforeCall != 0 {
			t.Errorf("credential and client constructors sent %d requests", run.sentBeforeCall)
		}
		if len(exs) < 3 {
			t.Fatalf("trace too short:%s", describe(exs))
		}
		first, last := exs[0], exs[len(exs)-1]
		if first.Service != "keyvault" || first.Status != http.StatusUnauthorized || !strings.Contains(first.URL, secretPath) ||
			first.RequestHeaders.Get("Authorization") != "" || !strings.Contains(first.ResponseHeaders.Get("WWW-Authenticate"), "resource=") {
			t.Errorf("first exchange is not the vault challenge:%s", describe(exs))
		}
		var token *trace.Exchange
		for i := range exs {
			if exs[i].Service == "entra" && exs[i].Method == "POST" && strings.HasSuffix(exs[i].URL, "/oauth2/v2.0/token") {
				token = &exs[i]
			}
		}
		if token == nil || token.Status != http.StatusOK || token.Issued == nil ||
			!strings.Contains(token.RequestBody, "client_secret=***") || token.Issued.Claims["aud"] == nil {
			t.Errorf("no masked token request with the issued token decoded:%s", describe(exs))
		}
		if last.Service != "keyvault" || last.Status != lastStatus || last.Token == nil || last.Authz == nil {
			t.Errorf("last exchange: %d, token %v, authz %v:%s", last.Status, last.Token != nil, last.Authz, describe(exs))
		}
		for _, ex := range exs {
			if ex.Via != "proxy" || ex.SandboxID != "sbx-docs" {
				t.Errorf("exchange %s via %q sandbox %q", ex.URL, ex.Via, ex.SandboxID)
			}
		}
	}

	t.Run("anonymous: answered as Azure would, in no trace", func(t *testing.T) {
		run := runDocsApp(t, e, bin, "sbx-docs", anonymous, caFile)
		if run.code != 3 || !strings.Contains(run.output, "ForbiddenByRbac") {
			t.Fatalf("exit %d:\n%s", run.code, run.output)
		}
		for _, id := range []string{"sbx-docs", "sbx-other"} {
			if exs := book.List(id, 0); len(exs) != 0 {
				t.Errorf("anonymous traffic recorded in %s's trace:%s", id, describe(exs))
			}
		}
	})

	t.Run("without a role: ForbiddenByRbac", func(t *testing.T) {
		run := runDocsApp(t, e, bin, "sbx-docs", withCreds, caFile)
		if run.code != 3 || !strings.Contains(run.output, "ForbiddenByRbac") || !strings.Contains(run.output, "CREDENTIAL-CREATED") {
			t.Fatalf("exit %d:\n%s", run.code, run.output)
		}
		exs := book.List("sbx-docs", 0)
		checkTrace(t, run, exs, http.StatusForbidden)
		if exs[len(exs)-1].Authz.Allowed {
			t.Errorf("403 with an allowing decision")
		}
		t.Logf("trace:%s", describe(exs))
	})

	vault := e.names("sbx-docs").Vault
	err := e.boxes["sbx-docs"].Update(context.Background(), func(tx *world.Tx) error {
		tx.AddRoleAssignment(rbac.Assignment{
			Scope:            tx.State.VaultID(tx.State.Vault(vault)),
			RoleDefinitionID: rbac.RoleKeyVaultSecretsUser,
			PrincipalID:      tx.State.Labels[scenario.LabelLocalDev],
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("with Key Vault Secrets User: reads the secret", func(t *testing.T) {
		after := book.List("sbx-docs", 0)
		lastSeq := after[len(after)-1].Seq
		run := runDocsApp(t, e, bin, "sbx-docs", withCreds, caFile)
		if run.code != 0 || !strings.Contains(run.output, "SECRET-LENGTH 40") {
			t.Fatalf("exit %d:\n%s", run.code, run.output)
		}
		exs := book.List("sbx-docs", lastSeq)
		checkTrace(t, run, exs, http.StatusOK)
		if !exs[len(exs)-1].Authz.Allowed {
			t.Errorf("200 without an allowing decision")
		}
		// Authenticated to the proxy, even the tenant-less instance
		// discovery is attributed to the sandbox.
		if !strings.Contains(describe(exs), "/common/discovery/instance") {
			t.Errorf("instance discovery not recorded:%s", describe(exs))
		}
		t.Logf("trace:%s", describe(exs))
	})

	if n := len(book.List("sbx-other", 0)); n != 0 {
		t.Errorf("the other sandbox's trace has %d exchanges", n)
	}
}
