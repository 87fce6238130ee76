package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
