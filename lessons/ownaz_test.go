package lessons

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/aztest"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// bashBlock returns the first ```bash block of a lesson file that contains
// marker.
func bashBlock(t *testing.T, file, marker string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```bash\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], marker) {
			return m[1]
		}
	}
	t.Fatalf("%s has no bash block with %q", file, marker)
	return ""
}

// ownAz runs a lesson's az lines as the learner would paste them, filled
// with a sandbox's values (the server's placeholders too: the proxy with the
// sandbox's credentials and the CA's URL), with the real az.
func ownAz(t *testing.T, s *aztest.Sandbox, block string) aztest.Result {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = rw.Write(pem)
	}))
	defer srv.Close()
	var script string
	s.W.View(func(st *world.State) {
		script = ExpandWith(block, st, map[string]string{
			PlaceholderProxyURLWithAuth: s.ProxyURL(),
			PlaceholderCACertURL:        srv.URL + "/ca.pem",
		})
	})
	if strings.Contains(script, "{") {
		t.Fatalf("unfilled placeholder in:\n%s", script)
	}
	return s.Shell(script)
}

// Lesson 9's "Your own Azure CLI": localDev signs in (no subscription it may
// read), gets a vault token and, with the role of the lesson's step 1, reads
// the secret through az rest; the requests are in the sandbox's trace.
func TestLessonOwnAzCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real az")
	}
	t.Parallel()
	s := aztest.New(t, "sbx-lesson9-az")
	localDev := s.Principal(scenario.LabelLocalDev)
	// Step 1 of the lesson (a sandbox action, not az).
	err := s.W.Update(context.Background(), func(tx *world.Tx) error {
		tx.AddRoleAssignment(rbac.Assignment{Scope: s.VaultID(), RoleDefinitionID: rbac.RoleKeyVaultSecretsUser,
			PrincipalID: localDev.ObjectID, PrincipalType: "ServicePrincipal"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seq := s.LastSeq()
	r := ownAz(t, s, bashBlock(t, "content/09-own-machine.md", "az login --service-principal"))
	if r.Code != 0 || !strings.Contains(r.Stdout, `"https://`+s.Names.Vault+`.vault.azure.net/secrets/`+scenario.SecretName+`/`) {
		t.Fatalf("%s", r)
	}
	exs := s.Since(seq)
	aztest.Sent(t, exs, "GET", ".vault.azure.net/secrets/"+scenario.SecretName+"?api-version=7.4", http.StatusOK)
	for _, ex := range exs {
		if ex.Service == "keyvault" && ex.Token != nil && ex.Token.Claims["appid"] != localDev.AppID {
			t.Errorf("the vault saw %v, not localDev", ex.Token.Claims["appid"])
		}
	}
}

// Lesson 5's block: the developer user signs in to their own az with -u/-p.
func TestLessonOwnAzSignInAsYou(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real az")
	}
	t.Parallel()
	s := aztest.New(t, "sbx-lesson5-az")
	dev := s.Principal(scenario.LabelDeveloper)
	r := ownAz(t, s, bashBlock(t, "content/05-identity-for-development.md", "az login -u"))
	if r.Code != 0 || !strings.Contains(r.Stdout, `"name": "`+dev.UserPrincipalName+`"`) || !strings.Contains(r.Stdout, `"type": "user"`) {
		t.Fatalf("%s", r)
	}
	aztest.Sent(t, s.Since(0), "GET", "management.azure.com/tenants?", http.StatusOK)
}
