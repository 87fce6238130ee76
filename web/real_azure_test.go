package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Without real mode a real Azure sandbox is refused with a message saying
// how to turn it on; an unknown cloud is refused; the simulated cloud is
// the default and can be named.
func TestSandboxCloudChoice(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"cloud":"azure"}`, 400, "real Azure mode is not available on this server: start it with --azure-subscription"},
		{`{"cloud":"mars"}`, 400, `cloud must be "simulated" or "azure", got "mars"`},
		{`{"cloud":"simulated"}`, 201, ""},
		{`{"scenario":"empty","cloud":"simulated"}`, 201, ""},
	} {
		res := e.bearer("", "POST", "/api/sandboxes", tc.body)
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d %s", tc.body, res.StatusCode, res.body)
			continue
		}
		if tc.want != "" {
			if d := apiError(t, res); d.Code != CodeInvalidArgument || !strings.Contains(d.Message, tc.want) {
				t.Errorf("%s: %+v", tc.body, d)
			}
		} else if strings.Contains(res.body, `"azure"`) {
			t.Errorf("%s: a simulated sandbox with an azure block: %s", tc.body, res.body)
		}
	}
}

// queuedAzure stands for the provisioner in the web layer's tests: it
// keeps what was asked, as a provisioner queues work, without a cloud.
type queuedAzure struct {
	mu  sync.Mutex
	sbs map[string]azure.Sandbox
	ep  azure.Endpoints
}

func (q *queuedAzure) Endpoints() azure.Endpoints { return q.ep }

func (q *queuedAzure) Create(_ context.Context, id string) (azure.Sandbox, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	sb := azure.Sandbox{ID: id, Key: id, Status: azure.StatusProvisioning, ResourceGroup: "auth-sandbox-" + id + "-ab12",
		Vault: "kv-auth-0011223344", StorageAccount: "stauth0011223344"}
	q.sbs[id] = sb
	return sb, nil
}

func (q *queuedAzure) Reset(ctx context.Context, id string) (azure.Sandbox, error) {
	return q.Create(ctx, id)
}

func (q *queuedAzure) Delete(_ context.Context, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if sb, ok := q.sbs[id]; ok {
		sb.Status = azure.StatusDeleting
		q.sbs[id] = sb
	}
	return nil
}

func (q *queuedAzure) Get(id string) (azure.Sandbox, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	sb, ok := q.sbs[id]
	return sb, ok
}

// With real mode on, the home page offers the cloud and lists what a real
// sandbox creates; the form's choice creates one whose card shows its
// progress; deleting it queues its resources' deletion.
func TestHomePageOffersRealAzure(t *testing.T) {
	q, e := chinaEnv(t)
	b := e.browser()
	home := b.visit()
	for _, want := range []string{`data-testid="cloud-choice"`, `<option value="azure">real Azure</option>`,
		"key vault (RBAC permission model, standard tier)", "storage account (StorageV2, Standard_LRS)"} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	res := b.form("/sandboxes", url.Values{"scenario": {"walkthrough"}, "cloud": {"azure"}}, false)
	if res.StatusCode != 303 {
		t.Fatalf("create = %d %s", res.StatusCode, res.body)
	}
	id := strings.TrimPrefix(res.Header.Get("Location"), "/#sb-")
	if _, ok := q.Get(id); !ok {
		t.Fatalf("no provisioning queued for %s", id)
	}
	home = b.visit()
	if !strings.Contains(home, `data-testid="azure-status"`) || !strings.Contains(home, "provisioning (0 of 8 steps)") ||
		!strings.Contains(home, "auth-sandbox-"+id+"-ab12") {
		t.Errorf("card of the real sandbox:\n%s", home)
	}
	var sb struct {
		AccessKey string `json:"accessKey"`
	}
	api := b.api("GET", "/api/sandboxes/"+id, "")
	if err := json.Unmarshal([]byte(api.body), &sb); err != nil || !strings.Contains(api.body, `"status":"provisioning"`) {
		t.Fatalf("GET = %d %s", api.StatusCode, api.body)
	}
	for _, want := range []string{`"keyVaultUrl":"https://kv-auth-0011223344.vault.azure.cn"`,
		`"queueUrl":"https://stauth0011223344.queue.core.chinacloudapi.cn/messages"`} {
		if !strings.Contains(api.body, want) {
			t.Errorf("GET lacks %s: %s", want, api.body)
		}
	}
	if res := e.bearer(sb.AccessKey, "DELETE", "/api/sandboxes/"+id, ""); res.StatusCode != 204 {
		t.Fatalf("delete = %d %s", res.StatusCode, res.body)
	}
	if got, _ := q.Get(id); got.Status != azure.StatusDeleting {
		t.Errorf("after delete: %+v", got)
	}
}

// A lesson whose real steps need something the server's identity cannot
// do says so on its page (real mode configured, its preflight failed); a
// lesson without real steps, and any lesson on a server without real mode,
// says nothing of real Azure.
func TestLessonSaysWhatRealModeLacks(t *testing.T) {
	pe := newPlayerEnv(t)
	plain := pe.b.page(pe.startLesson(t))
	if count(plain.body, "real-mode") != 0 {
		t.Error("a server without real mode speaks of real Azure on a lesson page")
	}
	pe.p.realMissing = []string{string(azure.CapRoleAssignments)}
	one := pe.b.page(pe.startLesson(t))
	if count(one.body, "real-mode") != 1 || !strings.Contains(one.body, "create role assignments, which the preflight found it cannot do") {
		t.Errorf("lesson 1 does not say what its real steps lack:\n%s", one.body)
	}
	five := pe.b.page(pe.start(t, "identity-for-development"))
	if count(five.body, "real-mode") != 1 || !strings.Contains(five.body, "create role assignments, which the preflight found it cannot do") {
		t.Errorf("lesson 5 (its development principal is granted in Azure) does not say what its real steps lack:\n%s", five.body)
	}
	two := pe.b.page(pe.start(t, "who-is-your-app"))
	if count(two.body, "real-mode") != 0 {
		t.Error("lesson 2 (no real steps) speaks of missing capabilities")
	}
}

// readyFacts stands for real mode's adapter in the web layer's tests: the
// names of a provisioned sandbox, and transports that refuse (these tests
// run no step in Azure; cmd/sandbox's tests do, against the stand-in).
type readyFacts struct{ lessons.Facts }

func (readyFacts) Real() bool           { return true }
func (readyFacts) Tenant() string       { return "11111111-0000-0000-0000-000000000000" }
func (readyFacts) Subscription() string { return "22222222-0000-0000-0000-000000000000" }
func (readyFacts) Placeholders() map[string]string {
	return map[string]string{"vaultUrl": "https://kv-auth-0011223344.vault.azure.net", "clientId": "33333333-0000-0000-0000-000000000000"}
}
func (readyFacts) Principal(label string) (lessons.PrincipalRef, error) {
	if label != "localDev" {
		return lessons.PrincipalRef{}, errors.New("not in a real sandbox")
	}
	return lessons.PrincipalRef{ObjectID: "44444444-0000-0000-0000-000000000000", AppID: "33333333-0000-0000-0000-000000000000",
		Type: "ServicePrincipal", Secret: "real-secret-value"}, nil
}

func (readyFacts) Scope(kind string) (string, error) {
	return "/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/auth-sandbox-x/providers/Microsoft.KeyVault/vaults/kv-auth-0011223344", nil
}
func (readyFacts) Role(name string) (rbac.RoleDefinition, bool) { return rbac.RoleByName(name, nil) }
func (readyFacts) Exchanges(int64) []trace.Exchange             { return nil }
func (readyFacts) LastSeq() int64                               { return 0 }
func (f readyFacts) State(m *lessons.StateMatch, exs []trace.Exchange) (bool, string) {
	return lessons.WireState(m, f, exs)
}

// A lesson opened while the sandbox's Azure resources are being created
// runs in the simulator and says so; once they are ready the lesson starts
// again in real mode: the page names the real vault, the workstation holds
// the real localDev (the simulated run saved meanwhile is not restored
// into it), the steps say where they run, and the clock moves are gone.
func TestLessonTurnsRealWhenTheResourcesAreReady(t *testing.T) {
	_, e := chinaEnv(t)
	ready := false
	e.app.player.realFacts = func(id string, _ *world.World) (lessons.Facts, bool) {
		if !ready {
			return nil, false
		}
		return readyFacts{}, true
	}
	b := e.browser()
	b.visit()
	res := b.form("/sandboxes", url.Values{"scenario": {"walkthrough"}, "cloud": {"azure"}}, false)
	id := strings.TrimPrefix(res.Header.Get("Location"), "/#sb-")
	page := "/sandboxes/" + id + "/lessons/roles"

	during := b.page(page).body
	if !strings.Contains(during, "until they are ready the lesson runs in the simulator") || count(during, "step-cloud") != 0 {
		t.Errorf("while provisioning:\n%s", during)
	}
	ready = true
	after := b.page(page).body
	for _, want := range []string{`data-real="true"`, "kv-auth-0011223344.vault.azure.net", `data-cloud="real"`,
		"simulated: it needs the simulator", "its clock and its role propagation are real", `<option value="localDev" selected>`} {
		if !strings.Contains(after, want) {
			t.Errorf("the real run's page lacks %q", want)
		}
	}
	if strings.Contains(after, `data-testid="panel-clock"`) {
		t.Error("the real run's panel offers the clock")
	}
	e.restart() // the saved real run comes back real
	e.app.player.realFacts = func(string, *world.World) (lessons.Facts, bool) { return readyFacts{}, true }
	if again := b.page(page).body; !strings.Contains(again, `data-real="true"`) || !strings.Contains(again, `<option value="localDev" selected>`) {
		t.Errorf("after a restart the run is not real:\n%s", again)
	}
}

// chinaEnv opens a server with real mode on in the China cloud (the API
// names the resources with its host names) through a queued stand-in.
func chinaEnv(t *testing.T) (*queuedAzure, *env) {
	t.Helper()
	china, err := azure.EndpointsOf("china")
	if err != nil {
		t.Fatal(err)
	}
	q := &queuedAzure{sbs: map[string]azure.Sandbox{}, ep: china}
	e := &env{t: t, path: filepath.Join(t.TempDir(), "sandbox.db"), real: q}
	e.open()
	return q, e
}
