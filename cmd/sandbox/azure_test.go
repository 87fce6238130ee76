package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/store"
)

// roleContributor is the built-in Contributor role: everything but role
// assignments.
const roleContributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"

// standIn is a second sandbox server playing Azure for a real-mode
// server: one of its sandboxes is "the subscription", reached through its
// HTTPS proxy and trusted through its CA, as the public cloud would be.
type standIn struct {
	m  *Main
	sb sandboxInfo
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	m := startMain(t, t.TempDir())
	return &standIn{m: m, sb: createSandbox(t, m.URL())}
}

// env is the environment of a real-mode process acting as the stand-in's
// principal label: its proxy, its CA, and the principal's credential in
// the variables DefaultAzureCredential reads. HOME and AZURE_CONFIG_DIR
// point at an empty directory so no az login of the machine is used.
func (s *standIn) env(t *testing.T, label string) []string {
	t.Helper()
	pu, err := url.Parse(s.sb.ProxyURL)
	if err != nil {
		t.Fatal(err)
	}
	pu.User = url.UserPassword(s.sb.ID, s.sb.ProxyPassword)
	env := cleanEnv(t)
	env = append(env, "HTTPS_PROXY="+pu.String(), "SSL_CERT_FILE="+s.m.CAPath())
	if label != "" {
		p := s.sb.Principals[label]
		env = append(env, "AZURE_TENANT_ID="+s.sb.TenantID, "AZURE_CLIENT_ID="+p.ClientID, "AZURE_CLIENT_SECRET="+p.ClientSecret)
	}
	return env
}

// cleanEnv is the test's environment without anything that would give a
// real-mode process a credential or a proxy of its own.
func cleanEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "AZURE_"), strings.HasPrefix(name, "SANDBOX_"), strings.HasPrefix(name, "IDENTITY_"),
			strings.HasPrefix(name, "MSI_"), strings.EqualFold(name, "HTTPS_PROXY"), strings.EqualFold(name, "HTTP_PROXY"),
			strings.EqualFold(name, "NO_PROXY"), name == "HOME", name == "SSL_CERT_FILE", name == "SSL_CERT_DIR":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOME="+home, "AZURE_CONFIG_DIR="+filepath.Join(home, ".azure"))
}

// runCheck runs "sandbox azure check" in a process of its own.
func runCheck(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	return runAzure(t, bin, env, append([]string{"check"}, args...)...)
}

// runAzure runs "sandbox azure ..." in a process of its own.
func runAzure(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"azure"}, args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// "sandbox azure check" against the stand-in: the owner passes every line;
// an identity with Contributor (no role-assignment rights, no directory
// role) fails exactly those lines; no credential and bad flags say so
// clearly, never with a crash.
func TestAzureCheckAgainstStandIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	s := newStandIn(t)
	sub := "--azure-subscription=" + s.sb.SubscriptionID

	t.Run("owner", func(t *testing.T) {
		out, code := runCheck(t, bin, s.env(t, "owner"), sub)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		for _, want := range []string{
			"[ok  ] token for Azure Resource Manager: issued by tenant " + s.sb.TenantID,
			"[ok  ] read the subscription",
			"[ok  ] create a resource group, a key vault and a storage account",
			"[ok  ] create role assignments",
			"[ok  ] create app registrations in Microsoft Graph",
			"object ID " + s.sb.Principals["owner"].ObjectID,
			"Real mode is ready.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("cleanup", func(t *testing.T) {
		ctx := context.Background()
		data := t.TempDir()
		kept, err := store.Open(ctx, filepath.Join(data, dbFile))
		if err != nil {
			t.Fatal(err)
		}
		lostDB, err := store.Open(ctx, filepath.Join(t.TempDir(), dbFile))
		if err != nil {
			t.Fatal(err)
		}
		for db, id := range map[*store.DB]string{kept: "sbxinuse01", lostDB: "sbxlost01"} {
			p, _ := s.provisioner(t, db, s.network(t))
			if _, err := p.Create(ctx, id); err != nil {
				t.Fatal(err)
			}
			p.Wait()
			db.Close()
		}
		out, code := runAzure(t, bin, s.env(t, "owner"), "cleanup", sub, "--data", data)
		for _, want := range []string{
			"in use   resource group auth-sandbox-sbxinuse01-", "in use   app registration auth-sandbox-sbxinuse01-localDev (sandbox sbxinuse01)",
			"leftover resource group auth-sandbox-sbxlost01-", "leftover app registration auth-sandbox-sbxlost01-localDev (sandbox sbxlost01)",
			"Run again with --yes",
		} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
			}
		}
		out, code = runAzure(t, bin, s.env(t, "owner"), "cleanup", sub, "--data", data, "--yes")
		if code != 0 || !strings.Contains(out, "deleted  resource group auth-sandbox-sbxlost01-") ||
			!strings.Contains(out, "deleted  app registration auth-sandbox-sbxlost01-localDev") || strings.Contains(out, "deleted  resource group auth-sandbox-sbxinuse01") {
			t.Errorf("exit %d:\n%s", code, out)
		}
		out, _ = runAzure(t, bin, s.env(t, "owner"), "cleanup", sub)
		if strings.Contains(out, "sbxlost01") || !strings.Contains(out, "leftover resource group auth-sandbox-sbxinuse01-") {
			t.Errorf("after --yes:\n%s", out)
		}
	})

	t.Run("contributor without role-assignment rights", func(t *testing.T) {
		grantContributor(t, s)
		out, code := runCheck(t, bin, s.env(t, "localDev"), sub)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		for _, want := range []string{
			"[ok  ] read the subscription",
			"[ok  ] create a resource group, a key vault and a storage account",
			"[FAIL] create role assignments: Microsoft.Authorization/roleAssignments/write is not allowed at the subscription",
			"Owner or User Access Administrator",
			"[FAIL] create app registrations in Microsoft Graph: 403 Authorization_RequestDenied",
			"Real mode cannot provision sandboxes: create role assignments, create app registrations in Microsoft Graph failed.",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		env := append(s.env(t, "owner"), "AZURE_CLIENT_SECRET=not-the-secret")
		out, code := runCheck(t, bin, env, sub)
		if code != 1 || !strings.Contains(out, "[FAIL] token for Azure Resource Manager") || !strings.Contains(out, "AADSTS7000215") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("no credential", func(t *testing.T) {
		out, code := runCheck(t, bin, s.env(t, ""), sub)
		if code != 1 || !strings.Contains(out, "[FAIL] token for Azure Resource Manager: DefaultAzureCredential") {
			t.Errorf("exit %d:\n%s", code, out)
		}
		if strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
			t.Errorf("crashed:\n%s", out)
		}
	})

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown cloud":          {[]string{sub, "--azure-cloud", "mars"}, "--azure-cloud must be public, china or usgovernment, got \"mars\""},
		"malformed subscription": {[]string{"--azure-subscription", "my-sub"}, "--azure-subscription must be a subscription ID"},
		"no subscription":        {nil, "--azure-subscription (or SANDBOX_AZURE_SUBSCRIPTION) is required"},
		"bad location":           {[]string{sub, "--azure-location", "East US"}, "--azure-location must be"},
	} {
		t.Run(name, func(t *testing.T) {
			out, code := runCheck(t, bin, cleanEnv(t), tc.args...)
			if code != 2 || !strings.Contains(out, tc.want) || strings.Contains(out, "goroutine") {
				t.Errorf("exit %d:\n%s", code, out)
			}
		})
	}
}

// grantContributor makes the stand-in's owner give localDev Contributor on
// the subscription, through ARM via the proxy.
func grantContributor(t *testing.T, s *standIn) {
	t.Helper()
	c := proxyClient(s.sb, caPool(t, s.sb.CACertURL))
	rc := roleAssignments(t, s.sb, credential(t, s.sb, "owner", c), c)
	sub := "/subscriptions/" + s.sb.SubscriptionID
	_, err := rc.Create(context.Background(), sub, uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			PrincipalID:      to.Ptr(s.sb.Principals["localDev"].ObjectID),
			RoleDefinitionID: to.Ptr(sub + "/providers/Microsoft.Authorization/roleDefinitions/" + roleContributor),
			PrincipalType:    to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// startRealServer starts the binary in real mode against the stand-in,
// acting as the stand-in's principal label, and waits for its URL. out
// receives everything it printed (the preflight report first).
func startRealServer(t *testing.T, bin string, s *standIn, label string) (p *process, out *lockedBuffer) {
	t.Helper()
	out = &lockedBuffer{}
	p = &process{cmd: exec.Command(bin, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "warn",
		"--azure-subscription", s.sb.SubscriptionID), stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd.Env = s.env(t, label)
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.url = <-urls:
	case err := <-p.exited:
		t.Fatalf("server exited before listening: %v\n%s%s", err, out, p.stderr)
	case <-time.After(120 * time.Second):
		t.Fatalf("server did not print its URL\n%s%s", out, p.stderr)
	}
	return p, out
}

type realSandbox struct {
	sandboxInfo
	Azure *struct {
		Status, Error, ResourceGroup, KeyVaultURL, TenantID string
		StepsDone, StepsTotal                               int
		Plan                                                []string
		LocalDev                                            *struct{ ClientID, ClientSecret, ObjectID string }
	} `json:"azure"`
}

// A real-mode server against the stand-in: the preflight at start, a
// sandbox with {"cloud":"azure"} provisioned in the background with its
// progress in the API, and deleting it removes its resource group and app
// registration from the cloud. A server whose identity cannot assign roles
// starts, says so, and refuses real-mode sandboxes with a clear message.
func TestRealModeServerAgainstStandIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	s := newStandIn(t)

	p, out := startRealServer(t, bin, s, "owner")
	if !strings.Contains(out.String(), "Real mode is ready.") {
		t.Fatalf("preflight at start:\n%s", out)
	}
	var sb realSandbox
	if code := api(t, p.url, "", "POST", "/api/sandboxes", `{"scenario":"walkthrough","cloud":"azure"}`, &sb); code != 201 || sb.Azure == nil {
		t.Fatalf("create = %d %+v", code, sb)
	}
	if len(sb.Azure.Plan) != sb.Azure.StepsTotal || !strings.Contains(strings.Join(sb.Azure.Plan, "; "), "key vault (RBAC permission model, standard tier)") {
		t.Errorf("plan = %v", sb.Azure.Plan)
	}
	deadline := time.Now().Add(60 * time.Second)
	for sb.Azure.Status != "ready" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		api(t, p.url, sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID, "", &sb)
		if sb.Azure.Status == "failed" {
			t.Fatalf("provisioning failed: %s", sb.Azure.Error)
		}
	}
	if sb.Azure.Status != "ready" || sb.Azure.StepsDone != sb.Azure.StepsTotal || sb.Azure.LocalDev == nil ||
		sb.Azure.TenantID != s.sb.TenantID || !strings.HasPrefix(sb.Azure.ResourceGroup, "auth-sandbox-"+sb.ID+"-") {
		t.Fatalf("after provisioning: %+v", sb.Azure)
	}
	oc := s.ownerClient(t, s.network(t))
	rgID := "/subscriptions/" + s.sb.SubscriptionID + "/resourceGroups/" + sb.Azure.ResourceGroup
	ctx := context.Background()
	if err := oc.ARM(ctx, "GET", rgID, "2021-04-01", nil, nil); err != nil {
		t.Fatalf("the resource group in the cloud: %v", err)
	}

	t.Run("lesson 1 through the player", func(t *testing.T) { playLessonOneInRealMode(t, p.url, sb) })
	t.Run("lessons 3, 4 and 8 on the workstation", func(t *testing.T) { playWorkstationLessonsInRealMode(t, p.url, sb) })
	t.Run("lesson 5 on the workstation", func(t *testing.T) { playLessonFiveInRealMode(t, p.url, sb) })
	lessonApps := "/applications?$filter=" + url.QueryEscape("startswith(displayName,'auth-sandbox-"+sb.ID+"-dev-')")
	var created struct {
		Value []struct{ DisplayName string }
	}
	if err := oc.Graph(ctx, "GET", lessonApps, nil, &created); err != nil || len(created.Value) != 1 || created.Value[0].DisplayName != "auth-sandbox-"+sb.ID+"-dev-yourname-authsandbox-2" {
		t.Errorf("lesson 5's apps in the tenant before delete (only the replacement should be left): %v %+v", err, created.Value)
	}

	if code := api(t, p.url, sb.AccessKey, "DELETE", "/api/sandboxes/"+sb.ID, "", nil); code != 204 {
		t.Fatalf("delete = %d", code)
	}
	gone := false
	for deadline := time.Now().Add(60 * time.Second); !gone && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		gone = status(oc.ARM(ctx, "GET", rgID, "2021-04-01", nil, nil)) == 404 &&
			status(oc.Graph(ctx, "GET", "/applications?$filter="+url.QueryEscape("displayName eq 'auth-sandbox-"+sb.ID+"-localDev'"), nil, nil)) == 200
	}
	if !gone {
		t.Fatal("the resource group is still in the cloud after delete")
	}
	var apps struct{ Value []any }
	if err := oc.Graph(ctx, "GET", "/applications?$filter="+url.QueryEscape("displayName eq 'auth-sandbox-"+sb.ID+"-localDev'"), nil, &apps); err != nil || len(apps.Value) != 0 {
		t.Errorf("the app registration after delete: %v %v", err, apps.Value)
	}
	if err := oc.Graph(ctx, "GET", lessonApps, nil, &created); err != nil || len(created.Value) != 0 {
		t.Errorf("lesson 5's apps after the sandbox was deleted: %v %+v", err, created.Value)
	}

	t.Run("identity without role-assignment rights", func(t *testing.T) {
		grantContributor(t, s)
		p, out := startRealServer(t, bin, s, "localDev")
		if !strings.Contains(out.String(), "[FAIL] create role assignments") || !strings.Contains(out.String(), "Real mode cannot provision sandboxes") {
			t.Errorf("preflight at start:\n%s", out)
		}
		req, _ := http.NewRequest("POST", p.url+"/api/sandboxes", strings.NewReader(`{"cloud":"azure"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 400 || !strings.Contains(string(body), "real Azure mode is not available on this server") {
			t.Errorf("real-mode sandbox without rights = %d %s", res.StatusCode, body)
		}
		// The simulated cloud still works.
		if code := api(t, p.url, "", "POST", "/api/sandboxes", `{}`, &sandboxInfo{}); code != 201 {
			t.Errorf("simulated sandbox = %d", code)
		}
	})
}
