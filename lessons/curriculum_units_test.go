package lessons

import (
	"context"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestTraceMatchViaAndModel(t *testing.T) {
	l := &Lesson{ID: "l"}
	form := "client_id=abc&grant_type=client_credentials&client_secret=***&scope=https%3A%2F%2Fvault.azure.net%2F.default"
	all := []trace.Exchange{
		{Seq: 1, Via: ViaProxy, Service: "keyvault", Status: 200},              // the learner's program, before the lesson started
		{Seq: 2, Step: "l/setup", Via: ViaRunner, Service: "arm", Status: 200}, // the lesson's setup: its start
		{Seq: 3, Step: "l/s", Via: ViaRunner, Service: "keyvault", Status: 403, Authz: &rbac.Decision{Model: "accessPolicy"}},
		{Seq: 4, Via: ViaProxy, Service: "entra", Method: "POST", Status: 200, RequestBody: form},
		{Seq: 5, Via: ViaProxy, Service: "keyvault", Status: 200},
		{Seq: 6, Step: "l/t", Via: ViaRunner, Service: "entra", Method: "POST", Status: 200, RequestBody: form},
		{Seq: 7, Step: "l/t", Via: ViaRunner, Service: "keyvault", Method: "GET", Status: 200},
		{Seq: 8, Step: "l/u", Via: ViaRunner, Site: "app-1", Service: "managed-identity", Method: "GET", Status: 200},
		{Seq: 9, Step: "l/u", Via: ViaRunner, Site: "app-1", Service: "keyvault", Method: "GET", Status: 200},
		{Seq: 10, Step: "l/v", Via: ViaRunner, Service: "entra", Method: "POST", Status: 200, RequestBody: "grant_type=refresh_token&refresh_token=***"},
		{Seq: 11, Step: "l/v", Via: ViaRunner, Service: "keyvault", Method: "GET", Status: 200},
	}
	var mine []trace.Exchange
	for _, ex := range all {
		if strings.HasPrefix(ex.Step, "l/") {
			mine = append(mine, ex)
		}
	}
	entraIn := func(step, grant string) *TraceMatch {
		return &TraceMatch{Service: "entra", Status: 200, Step: step, Grant: grant, Site: RunsOnWorkstation}
	}
	tests := []struct {
		name string
		m    TraceMatch
		want int64 // matched Seq, 0 = none
	}{
		{"proxy exchanges after the start count for via proxy", TraceMatch{Service: "keyvault", Status: 200, Via: ViaProxy}, 5},
		{"via proxy with an after in the program's run", TraceMatch{Service: "keyvault", Status: 200, Via: ViaProxy, After: &TraceMatch{Service: "entra", Via: ViaProxy, Grant: "client_credentials"}}, 5},
		{"but not for other checks", TraceMatch{Service: "keyvault", Status: 200, Step: "s"}, 0},
		{"model matches the decision", TraceMatch{Status: 403, Model: "accessPolicy"}, 3},
		{"model mismatch", TraceMatch{Status: 403, Model: "rbac"}, 0},
		{"via runner", TraceMatch{Status: 403, Via: ViaRunner}, 3},
		{"grant client_credentials", TraceMatch{Service: "entra", Grant: "client_credentials"}, 6},
		{"grant refresh_token", TraceMatch{Grant: "refresh_token"}, 10},
		{"grant never matches a GET", TraceMatch{Service: "managed-identity", Grant: "client_credentials"}, 0},
		{"site workstation", TraceMatch{Service: "keyvault", Status: 200, Site: RunsOnWorkstation}, 7},
		{"site site", TraceMatch{Service: "keyvault", Status: 200, Site: RunsOnSite}, 9},
		{"workstation: client_credentials token then the read, same step", TraceMatch{Service: "keyvault", Status: 200, Step: "t", Site: RunsOnWorkstation, After: entraIn("t", "client_credentials")}, 7},
		{"workstation: a refresh_token (CLI) token does not prove EnvironmentCredential", TraceMatch{Service: "keyvault", Status: 200, Step: "v", After: entraIn("v", "client_credentials")}, 0},
		{"site: the read's step made no Entra token request", TraceMatch{Service: "keyvault", Status: 200, Step: "u", After: entraIn("u", "client_credentials")}, 0},
		{"site: managed identity then the read, same step", TraceMatch{Service: "keyvault", Status: 200, Step: "u", Site: RunsOnSite, After: &TraceMatch{Service: "managed-identity", Status: 200, Step: "u", Site: RunsOnSite}}, 9},
		{"site: an Entra token is not the managed identity", TraceMatch{Service: "keyvault", Status: 200, Step: "t", After: &TraceMatch{Service: "managed-identity", Step: "t"}}, 0},
		{"site: a workstation exchange is not on the site", TraceMatch{Service: "keyvault", Status: 200, Step: "t", Site: RunsOnSite}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := findMatch(l, &tt.m, traceCandidates(l, &tt.m, mine, all))
			var got int64
			if ex != nil {
				got = ex.Seq
			}
			if got != tt.want {
				t.Errorf("matched #%d, want #%d", got, tt.want)
			}
		})
	}
}

// TestProxyCountsAfterStart: the learner's program counts only after the
// lesson's latest setup exchange; without one (trace emptied by a reset,
// setup not applied yet) nothing counts.
func TestProxyCountsAfterStart(t *testing.T) {
	l := &Lesson{ID: "l"}
	m := &TraceMatch{Service: "keyvault", Status: 200, Via: ViaProxy}
	proxy := func(seq int64) trace.Exchange {
		return trace.Exchange{Seq: seq, Via: ViaProxy, Service: "keyvault", Status: 200}
	}
	setup := func(seq int64) trace.Exchange {
		return trace.Exchange{Seq: seq, Step: "l/setup", Via: ViaRunner, Service: "arm", Status: 200}
	}
	other := trace.Exchange{Seq: 3, Step: "m/setup", Via: ViaRunner, Service: "arm", Status: 200}
	tests := []struct {
		name string
		exs  []trace.Exchange
		want int64
	}{
		{"no start in the trace", []trace.Exchange{proxy(1)}, 0},
		{"before the start", []trace.Exchange{proxy(1), setup(2)}, 0},
		{"after the start", []trace.Exchange{setup(1), proxy(2)}, 2},
		{"another lesson's start is not this one's", []trace.Exchange{proxy(1), proxy(2), other}, 0},
		{"the latest start counts (lesson opened again)", []trace.Exchange{setup(1), proxy(2), setup(3)}, 0},
		{"after the latest start", []trace.Exchange{setup(1), proxy(2), setup(3), proxy(4)}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := findMatch(l, m, traceCandidates(l, m, nil, tt.exs))
			var got int64
			if ex != nil {
				got = ex.Seq
			}
			if got != tt.want {
				t.Errorf("matched #%d, want #%d", got, tt.want)
			}
		})
	}
}

func TestValidateViaAndModel(t *testing.T) {
	tests := []struct {
		m    TraceMatch
		want string
	}{
		{TraceMatch{Via: "carrier-pigeon"}, "via must be runner or proxy"},
		{TraceMatch{Via: ViaProxy, Step: "s"}, "via proxy cannot name a step"},
		{TraceMatch{Service: "keyvault", Model: "acl"}, "model must be rbac or accessPolicy"},
		{TraceMatch{Service: "keyvault", Via: ViaProxy, Model: "rbac"}, ""},
		{TraceMatch{Service: "entra", Grant: "client_credentials", Site: RunsOnWorkstation}, ""},
		{TraceMatch{Grant: "refresh_token"}, ""},
		{TraceMatch{Service: "entra", Grant: "client-credentials"}, "unknown grant"},
		{TraceMatch{Service: "managed-identity", Grant: "client_credentials"}, "use service entra"},
		{TraceMatch{Service: "keyvault", Site: "laptop"}, "site must be workstation or site"},
		{TraceMatch{Service: "keyvault", After: &TraceMatch{Grant: "password", Site: "cloud"}}, "trace.after: site must be"},
	}
	for _, tt := range tests {
		got := strings.Join(validateMatch(&tt.m, map[string]int{"s": 0}, "trace"), "; ")
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%+v: problems %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestExpandWith(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-expand")
	server := map[string]string{PlaceholderProxyURL: "http://127.0.0.1:8080", PlaceholderCACertURL: "http://127.0.0.1:8080/ca.pem"}
	w.View(func(st *world.State) {
		got := ExpandWith("{proxyUrl} {caCertUrl} {proxyUrlWithAuth} {clientId} {tenantId}", st, server)
		want := "http://127.0.0.1:8080 http://127.0.0.1:8080/ca.pem {proxyUrlWithAuth} " +
			st.Principals[st.Labels[scenario.LabelLocalDev]].AppID + " " + st.TenantID
		if got != want {
			t.Errorf("got %q\nwant %q", got, want)
		}
		if got := Expand("{clientSecret}", st); got != st.Keychain[scenario.LabelLocalDev] {
			t.Errorf("{clientSecret} = %q", got)
		}
	})
}

// TestCurriculumActions covers what the lesson walks do not: the error
// paths and the environment bookkeeping of the added sandbox actions.
func TestCurriculumActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	do := func(r *Runner, action string, params map[string]string) *StepResult {
		t.Helper()
		res, err := r.Do(ctx, action, action, params, "t/"+action)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("rotateSecret updates the workstation that holds the principal", func(t *testing.T) {
		w := f.sandbox(t, "sbx-rotate")
		r := f.runner(t, w, lesson1(t))
		old := r.Place().Env[EnvClientSecret]
		if res := do(r, "rotateSecret", map[string]string{"principal": "localDev"}); !res.OK {
			t.Fatal(res.Error)
		}
		var keychain string
		w.View(func(st *world.State) { keychain = st.Keychain[scenario.LabelLocalDev] })
		if got := r.Place().Env[EnvClientSecret]; got == old || got != keychain {
			t.Errorf("AZURE_CLIENT_SECRET not rotated: %q (keychain %q, old %q)", got, keychain, old)
		}
		if res := do(r, "rotateSecret", map[string]string{"principal": "developer"}); res.OK {
			t.Error("rotated a user's password as if it were a client secret")
		}
	})

	t.Run("app settings credential on and off", func(t *testing.T) {
		w := f.sandbox(t, "sbx-settings")
		r := f.runner(t, w, lesson1(t))
		do(r, "putCredentialInAppSettings", map[string]string{"principal": "localDev"})
		r.SetPlace(Place{RunsOn: RunsOnSite})
		var env map[string]string
		w.View(func(st *world.State) { env = r.Place().Environ(st) })
		if env[EnvClientSecret] == "" || env[EnvIdentityEndpoint] == "" {
			t.Fatalf("site environment lacks the secret or the identity endpoint: %v", EnvNames(env))
		}
		if res := do(r, "removeCredentialFromAppSettings", nil); !strings.Contains(res.Output, "AZURE_CLIENT_SECRET") {
			t.Errorf("output %q", res.Output)
		}
		w.View(func(st *world.State) { env = r.Place().Environ(st) })
		if _, ok := env[EnvClientSecret]; ok {
			t.Error("secret still in the app settings")
		}
		if res := do(r, "useServicePrincipal", map[string]string{"principal": "localDev"}); res.OK {
			t.Error("useServicePrincipal changed the environment while running on the site")
		}
	})

	t.Run("deployWalkthrough needs the resource group", func(t *testing.T) {
		w, err := scenario.Build(ctx, f.reg, "sbx-empty", scenario.Empty)
		if err != nil {
			t.Fatal(err)
		}
		r := f.runner(t, w, lesson1(t))
		if res := do(r, "deployWalkthrough", nil); res.OK || !strings.Contains(res.Error, "az group create") {
			t.Errorf("ok=%v err=%q", res.OK, res.Error)
		}
		do(r, "createResourceGroup", nil)
		if res := do(r, "deployWalkthrough", nil); !res.OK {
			t.Fatal(res.Error)
		}
		if res := do(r, "deployWalkthrough", nil); !res.OK {
			t.Errorf("a second deploy must be idempotent: %s", res.Error)
		}
		w.View(func(st *world.State) {
			names := scenario.ResourcesOf(st)
			v, api := st.Vault(names.Vault), st.Site(names.ThirdPartySite)
			if v == nil || !v.EnableRbacAuthorization || api == nil || v.Secrets[scenario.SecretName] == nil ||
				v.Secrets[scenario.SecretName].Versions[0].Value != api.FunctionKeys["default"] {
				t.Fatal("vault (RBAC) must hold the API's key")
			}
			if main := st.Site(names.MainSite); main == nil || main.SystemIdentity != "" || main.AppSettings["KEY_VAULT_URL"] == "" {
				t.Fatalf("main site: %+v", main)
			}
		})
	})
}
