package lessons

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// nothingConfigured is the aggregated error on a workstation with no
// environment variables and no developer tools. The managed identity line
// is the IMDS probe's transport error, as the sim's transport reports it.
const nothingConfigured = "DefaultAzureCredential: failed to acquire a token.\n" +
	"Attempted credentials:\n" +
	"\tEnvironmentCredential: missing environment variable AZURE_TENANT_ID\n" +
	"\tWorkloadIdentityCredential: no client ID specified. Check pod configuration or set ClientID in the options\n" +
	"\tManagedIdentityCredential: Get \"http://169.254.169.254/metadata/identity/oauth2/token\": dial tcp 169.254.169.254:80: connect: no route to host\n" +
	"\tAzureCLICredential: executable not found on path\n" +
	"\tAzureDeveloperCLICredential: executable not found on path\n" +
	"\tAzurePowerShellCredential: executable not found on path"

func TestLesson1Walkthrough(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-l1")
	l := lesson1(t)
	r := f.runner(t, w, l)
	if g := r.Goal(); g.Met {
		t.Fatal("goal met on the starting state")
	}

	for _, step := range []string{"create-credential", "create-client"} {
		if res := run(t, r, step); !res.OK || len(res.Exchanges) != 0 {
			t.Fatalf("%s: ok=%v exchanges=%v err=%s", step, res.OK, services(res), res.Error)
		}
	}
	res := run(t, r, "get-secret")
	if res.OK || !strings.Contains(res.Error, "RESPONSE 403: 403 Forbidden") || !strings.Contains(res.Error, "ForbiddenByRbac") {
		t.Fatalf("get-secret without a role: ok=%v err=%s", res.OK, res.Error)
	}
	got := strings.Join(services(res), ",")
	if !strings.HasPrefix(got, "keyvault GET 401,") || !strings.Contains(got, "entra POST 200") || !strings.HasSuffix(got, "keyvault GET 403") {
		t.Errorf("get-secret exchanges = %s, want challenge, token, 403", got)
	}
	for _, ex := range res.Exchanges {
		if ex.Step != l.Marker("get-secret") || ex.Site != "" {
			t.Errorf("exchange #%d marker=%q site=%q", ex.Seq, ex.Step, ex.Site)
		}
	}
	if res.Chain == nil || res.Chain.Answered != credNameEnvironment {
		t.Errorf("chain = %+v, want EnvironmentCredential to answer", res.Chain)
	}
	if g := r.Goal(); g.Met {
		t.Fatal("goal met before the fix")
	}

	if res := run(t, r, "grant-role"); !res.OK {
		t.Fatalf("grant-role: %s", res.Error)
	}
	res = run(t, r, "get-secret")
	if !res.OK || got != "" && strings.Join(services(res), ",") != "keyvault GET 200" {
		t.Fatalf("get-secret after the fix: ok=%v %v err=%s", res.OK, services(res), res.Error)
	}
	var key string
	w.View(func(st *world.State) {
		key = st.Vault(scenario.ResourcesOf(st).Vault).Secrets[scenario.SecretName].Versions[0].Value
	})
	if strings.Contains(res.Output, key) || !strings.HasPrefix(res.Output, scenario.SecretName+" = "+key[:3]) {
		t.Errorf("output %q must show the secret masked", res.Output)
	}

	if res := run(t, r, "wrong-secret"); !res.OK {
		t.Fatalf("wrong-secret: %s", res.Error)
	}
	if objs := r.Objects(); len(objs) != 0 {
		t.Errorf("objects survived the restart: %v", objs)
	}
	for _, step := range []string{"create-credential", "create-client"} {
		if res := run(t, r, step); !res.OK || len(res.Exchanges) != 0 {
			t.Fatalf("%s with a wrong secret: ok=%v exchanges=%v", step, res.OK, services(res))
		}
	}
	res = run(t, r, "get-secret")
	if res.OK || !strings.HasPrefix(res.Error, "DefaultAzureCredential: failed to acquire a token.\nAttempted credentials:\n\tClientSecretCredential authentication failed. \n\t\tPOST https://login.microsoftonline.com/") ||
		!strings.Contains(res.Error, "AADSTS7000215") || !strings.HasSuffix(res.Error, "\n\t\tTo troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#client-secret") {
		t.Fatalf("wrong secret error:\n%s", res.Error)
	}
	// A wrong secret fails the link: the chain stops, managed identity is never tried.
	if res.Chain == nil || res.Chain.Links[0].Outcome != LinkFailed || res.Chain.Links[2].Name != credNameManagedIdentity || res.Chain.Links[2].Outcome != LinkNotTried {
		t.Errorf("chain = %+v", res.Chain)
	}
	for _, ex := range res.Exchanges {
		if ex.Service == "managed-identity" || strings.Contains(ex.URL, "169.254.169.254") {
			t.Errorf("managed identity was tried: %s", ex.URL)
		}
	}
	g := r.Goal()
	if !g.Met {
		t.Fatalf("goal not met after the solution: %+v", g.Items)
	}
}

func TestDefaultCredentialNothingConfigured(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-none")
	l := lesson1(t)
	r := f.runner(t, w, l)
	r.SetPlace(Place{RunsOn: RunsOnWorkstation})
	run(t, r, "create-credential")
	run(t, r, "create-client")
	res := run(t, r, "get-secret")
	if res.Error != nothingConfigured {
		t.Errorf("error:\n%s\nwant:\n%s", res.Error, nothingConfigured)
	}
	for i, lr := range res.Chain.Links {
		if lr.Outcome != LinkUnavailable || lr.Why == "" {
			t.Errorf("link %d = %+v, want unavailable with a reason", i, lr)
		}
	}
	// Only the Key Vault challenge: the probe never reached anything.
	if got := strings.Join(services(res), ","); got != "keyvault GET 401" {
		t.Errorf("exchanges = %s", got)
	}
}

// TestDefaultCredentialMatchesSDK runs the real azidentity
// DefaultAzureCredential, with an empty process environment and no tools on
// PATH, over the same workstation transport: its error must be ours.
func TestDefaultCredentialMatchesSDK(t *testing.T) {
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME",
		"AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "IMDS_ENDPOINT", "AZURE_AUTHORITY_HOST"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("PATH", t.TempDir())
	f := newFixture(t)
	w := f.sandbox(t, "sbx-oracle")
	opts := azcore.ClientOptions{Cloud: cloud.AzurePublic, Transport: newHTTPClient(f.cloud.Transport(world.Origin{SandboxID: w.ID()}))}
	real, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	tro := policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}
	_, realErr := real.GetToken(context.Background(), tro)
	ours, err := newDefaultAzureCredential(map[string]string{}, credDeps{options: opts})
	if err != nil {
		t.Fatal(err)
	}
	_, ourErr := ours.GetToken(context.Background(), tro)
	if realErr == nil || ourErr == nil || realErr.Error() != ourErr.Error() {
		t.Errorf("azidentity:\n%v\nours:\n%v", realErr, ourErr)
	}
	if ourErr.Error() != nothingConfigured {
		t.Errorf("ours:\n%v", ourErr)
	}
}

func TestSiteManagedIdentityAnswers(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-site")
	l := lesson1(t)
	r := f.runner(t, w, l)
	if _, err := r.Do(context.Background(), "fix", "assignRole", map[string]string{"principal": "mainApp", "role": "Key Vault Secrets User", "scope": "vault"}, "test/fix"); err != nil {
		t.Fatal(err)
	}
	r.SetPlace(Place{RunsOn: RunsOnSite})
	run(t, r, "create-credential")
	run(t, r, "create-client")
	res := run(t, r, "get-secret")
	if !res.OK {
		t.Fatalf("get-secret on the site: %s", res.Error)
	}
	if res.Chain.Answered != credNameManagedIdentity || res.Chain.Links[0].Outcome != LinkUnavailable ||
		res.Chain.Links[0].Message != "EnvironmentCredential: missing environment variable AZURE_TENANT_ID" {
		t.Errorf("chain = %+v", res.Chain)
	}
	var mi, kv *trace.Exchange
	for i, ex := range res.Exchanges {
		switch ex.Service {
		case "managed-identity":
			mi = &res.Exchanges[i]
		case "keyvault":
			kv = &res.Exchanges[i]
		}
		if ex.Site == "" {
			t.Errorf("exchange #%d not marked as from the site", ex.Seq)
		}
	}
	if mi == nil || !strings.HasPrefix(mi.URL, "http://169.254.129.2:8081/msi/token?api-version=2019-08-01&resource=https") || mi.RequestHeaders.Get("X-Identity-Header") == "" && mi.RequestHeaders.Get("X-IDENTITY-HEADER") == "" {
		t.Errorf("managed identity exchange = %+v", mi)
	}
	if kv == nil || kv.Status != 200 || kv.Token == nil || kv.Token.Claims["xms_mirid"] == nil {
		t.Errorf("key vault exchange = %+v", kv)
	}
}

// TestSiteIdentitiesIsolated runs two sandboxes' site code at once: each
// must present its own managed identity's token (the msal-go
// process-wide cache would hand one the other's).
func TestSiteIdentitiesIsolated(t *testing.T) {
	f := newFixture(t)
	l := lesson1(t)
	type box struct {
		w   *world.World
		r   *Runner
		res *StepResult
	}
	boxes := []*box{{w: f.sandbox(t, "sbx-iso-a")}, {w: f.sandbox(t, "sbx-iso-b")}}
	for _, b := range boxes {
		b.r = f.runner(t, b.w, l)
		if _, err := b.r.Do(context.Background(), "fix", "assignRole", map[string]string{"principal": "mainApp", "role": "Key Vault Secrets User"}, "test/fix"); err != nil {
			t.Fatal(err)
		}
		b.r.SetPlace(Place{RunsOn: RunsOnSite})
		run(t, b.r, "create-credential")
		run(t, b.r, "create-client")
	}
	var wg sync.WaitGroup
	for _, b := range boxes {
		wg.Go(func() { b.res, _ = b.r.Run(context.Background(), "get-secret", nil) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, b := range boxes {
		if b.res == nil || !b.res.OK {
			t.Fatalf("get-secret: %+v", b.res)
		}
		var tid, site string
		b.w.View(func(st *world.State) {
			tid = st.TenantID
			site = st.SiteID(st.Site(scenario.ResourcesOf(st).MainSite))
		})
		for _, ex := range b.res.Exchanges {
			if ex.Service != "keyvault" || ex.Token == nil {
				continue
			}
			if ex.Token.Claims["tid"] != tid || !strings.EqualFold(ex.Token.Claims["xms_mirid"].(string), site) {
				t.Errorf("%s presented tid=%v xms_mirid=%v, want its own %s %s", b.w.ID(), ex.Token.Claims["tid"], ex.Token.Claims["xms_mirid"], tid, site)
			}
			seen[tid] = true
		}
	}
	if len(seen) != 2 {
		t.Errorf("tokens seen for %d tenants, want 2", len(seen))
	}
}

func TestSiteIdentityOffMovesOn(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-off")
	r := f.runner(t, w, lesson1(t))
	if res, _ := r.Do(context.Background(), "off", "setSiteIdentity", map[string]string{"state": "off"}, "test/off"); !res.OK {
		t.Fatal(res.Error)
	}
	r.SetPlace(Place{RunsOn: RunsOnSite})
	if env := r.Place().Environ(stateOf(w)); env[EnvIdentityEndpoint] != "" {
		t.Fatalf("IDENTITY_ENDPOINT set without an identity: %v", env)
	}
	run(t, r, "create-credential")
	run(t, r, "create-client")
	res := run(t, r, "get-secret")
	if res.OK || res.Chain == nil || res.Chain.Links[2].Outcome != LinkUnavailable {
		t.Fatalf("res = %+v", res)
	}
}

func stateOf(w *world.World) *world.State {
	var st *world.State
	w.View(func(s *world.State) { st = s })
	return st
}

func TestCredentialTypes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		place  func(st *world.State) Place
		action string
		role   string // principal label given Key Vault Secrets User first
		check  func(t *testing.T, res *StepResult, st *world.State)
	}{
		{
			name: "client secret from env on the workstation", action: "credential.clientSecret", role: scenario.LabelLocalDev,
			place: func(st *world.State) Place {
				return Place{RunsOn: RunsOnWorkstation, Env: PrincipalEnv(st, scenario.LabelLocalDev)}
			},
			check: func(t *testing.T, res *StepResult, st *world.State) {
				if !res.OK || res.Chain != nil {
					t.Errorf("ok=%v chain=%v err=%s", res.OK, res.Chain, res.Error)
				}
			},
		},
		{
			name: "managed identity on the site", action: "credential.managedIdentity", role: scenario.LabelMainApp,
			place: func(*world.State) Place { return Place{RunsOn: RunsOnSite} },
			check: func(t *testing.T, res *StepResult, st *world.State) {
				if !res.OK {
					t.Errorf("err=%s", res.Error)
				}
			},
		},
		{
			name: "managed identity on the workstation", action: "credential.managedIdentity",
			place: func(*world.State) Place { return Place{RunsOn: RunsOnWorkstation} },
			check: func(t *testing.T, res *StepResult, st *world.State) {
				want := `ManagedIdentityCredential: Get "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net": dial tcp 169.254.169.254:80: connect: no route to host. To troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#managed-id`
				if res.OK || res.Error != want {
					t.Errorf("err=\n%s\nwant\n%s", res.Error, want)
				}
			},
		},
		{
			name: "Azure CLI signed in as the developer", action: "credential.cli",
			place: func(*world.State) Place {
				return Place{RunsOn: RunsOnWorkstation, CLI: CLISignedIn, CLIUser: scenario.LabelDeveloper}
			},
			check: func(t *testing.T, res *StepResult, st *world.State) {
				// Owner on the subscription is control plane only: the data
				// call is refused, but the token is the developer's.
				dev := st.Labels[scenario.LabelDeveloper]
				var tokenOK, presented bool
				for _, ex := range res.Exchanges {
					if ex.Service == "entra" && ex.Method == "POST" && ex.Status == 200 && strings.Contains(ex.RequestBody, "grant_type=password") {
						tokenOK = true
					}
					if ex.Service == "keyvault" && ex.Token != nil && ex.Token.Claims["oid"] == dev {
						presented = true
					}
				}
				if !tokenOK || !presented {
					t.Errorf("token=%v presented=%v exchanges=%v err=%s", tokenOK, presented, services(res), res.Error)
				}
			},
		},
		{
			name: "Azure CLI signed out", action: "credential.cli",
			place: func(*world.State) Place { return Place{RunsOn: RunsOnWorkstation, CLI: CLISignedOut} },
			check: func(t *testing.T, res *StepResult, st *world.State) {
				want := "AzureCLICredential: ERROR: Please run 'az login' to setup account. To troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#azure-cli"
				if res.Error != want {
					t.Errorf("err=%q", res.Error)
				}
			},
		},
		{
			name: "DefaultAzureCredential falls through to the signed-in CLI", action: "credential.default",
			place: func(*world.State) Place {
				return Place{RunsOn: RunsOnWorkstation, CLI: CLISignedIn, CLIUser: scenario.LabelDeveloper}
			},
			check: func(t *testing.T, res *StepResult, st *world.State) {
				if res.Chain == nil || res.Chain.Answered != credNameAzureCLI || res.Chain.Links[2].Outcome != LinkUnavailable {
					t.Errorf("chain=%+v", res.Chain)
				}
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.sandbox(t, "sbx-cred-"+itoa(i))
			r := f.runner(t, w, lesson1(t))
			if tt.role != "" {
				if res, _ := r.Do(ctx, "fix", "assignRole", map[string]string{"principal": tt.role, "role": "Key Vault Secrets User"}, "test/fix"); !res.OK {
					t.Fatal(res.Error)
				}
			}
			r.SetPlace(tt.place(stateOf(w)))
			if res, err := r.Do(ctx, "create-credential", tt.action, nil, l1Marker("create-credential")); err != nil || !res.OK || len(res.Exchanges) != 0 {
				t.Fatalf("%s: %v %+v", tt.action, err, res)
			}
			run(t, r, "create-client")
			res := run(t, r, "get-secret")
			w.View(func(st *world.State) { tt.check(t, res, st) })
		})
	}
}

func l1Marker(step string) string { return "auth-at-the-call/" + step }

func TestSandboxActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w := f.sandbox(t, "sbx-actions")
	r := f.runner(t, w, lesson1(t))
	do := func(action string, params map[string]string) *StepResult {
		t.Helper()
		res, err := r.Do(ctx, action, action, params, "test/"+action)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK {
			t.Fatalf("%s: %s", action, res.Error)
		}
		return res
	}
	do("createServicePrincipal", map[string]string{"label": "ci", "name": "ci-app"})
	do("assignRole", map[string]string{"principal": "ci", "role": "Key Vault Secrets Officer", "scope": "resourceGroup"})
	do("setVaultModel", map[string]string{"model": "accessPolicy"})
	do("addAccessPolicy", map[string]string{"principal": "localDev", "secrets": "get"})
	do("advanceClock", map[string]string{"seconds": "3600"})
	do("setPropagationDelay", map[string]string{"seconds": "120"})
	w.View(func(st *world.State) {
		l := &Lesson{ID: "x"}
		for _, c := range []StateMatch{
			{RoleAssignment: &RoleMatch{Principal: "ci", Role: "Key Vault Secrets Officer", Scope: "resourceGroup"}},
			{VaultModel: "accessPolicy"},
			{AccessPolicy: &PolicyMatch{Principal: "localDev", Permission: "get"}},
		} {
			l.Blocks = append(l.Blocks, Block{Check: &Check{State: &c}})
		}
		if g := EvaluateGoal(l, st, nil); !g.Met {
			t.Errorf("state after actions: %+v", g.Items)
		}
		if st.ClockOffset < 3600e9 || st.PropagationDelay != 120e9 {
			t.Errorf("clock %v delay %v", st.ClockOffset, st.PropagationDelay)
		}
	})
	do("removeRole", map[string]string{"principal": "ci", "role": "Key Vault Secrets Officer", "scope": "resourceGroup"})
	do("deletePrincipal", map[string]string{"principal": "ci"})
	w.View(func(st *world.State) {
		if _, ok := st.Labels["ci"]; ok {
			t.Error("deleted principal still labelled")
		}
		for _, a := range st.RoleAssignments {
			if a.RoleDefinitionID == rbac.RoleKeyVaultSecretsOfficer && a.RemovedAt == nil && a.CreatedOn.IsZero() {
				t.Error("assignment not removed")
			}
		}
	})
	res, _ := r.Do(ctx, "bad", "assignRole", map[string]string{"principal": "nobody", "role": "Reader"}, "test/bad")
	if res.OK || !strings.Contains(res.Error, `principal "nobody"`) {
		t.Errorf("unknown principal: %+v", res)
	}
	if _, err := r.Run(ctx, "get-secret", map[string]string{"vaultUrl": "x"}); err == nil {
		t.Error("a non-editable parameter was accepted")
	}
	res = run(t, r, "get-secret")
	if res.OK || !strings.Contains(res.Error, "client is not defined yet") {
		t.Errorf("get-secret before the client: %+v", res)
	}
}
