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
	mine := []trace.Exchange{{Seq: 1, Step: "l/s", Via: ViaRunner, Service: "keyvault", Status: 403, Authz: &rbac.Decision{Model: "accessPolicy"}}}
	all := append([]trace.Exchange{{Seq: 2, Via: ViaProxy, Service: "keyvault", Status: 200}}, mine...)
	tests := []struct {
		name string
		m    TraceMatch
		want int64 // matched Seq, 0 = none
	}{
		{"proxy exchanges count for via proxy", TraceMatch{Service: "keyvault", Status: 200, Via: ViaProxy}, 2},
		{"but not for other checks", TraceMatch{Service: "keyvault", Status: 200}, 0},
		{"model matches the decision", TraceMatch{Status: 403, Model: "accessPolicy"}, 1},
		{"model mismatch", TraceMatch{Status: 403, Model: "rbac"}, 0},
		{"via runner", TraceMatch{Status: 403, Via: ViaRunner}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := findMatch(l, &tt.m, traceCandidates(&tt.m, mine, all))
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
			names := scenario.ResourcesFor(st.Labels["suffix"])
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
