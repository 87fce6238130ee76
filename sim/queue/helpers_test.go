package queue

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/inproc"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/sim/world/worldtest"
)

// fixture is one sandbox with the entra and queue services behind a host
// router, reachable in process.
type fixture struct {
	t       testing.TB
	reg     *world.Registry
	w       *world.World
	iss     *entra.Issuer
	svc     *Service
	account string
	http    *http.Client

	mu        sync.Mutex
	lastNotes *trace.Notes // notes of the last queue exchange
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clock := worldtest.NewClock(time.Now().UTC())
	reg := world.NewRegistry(clock, nil)
	w, err := scenario.Build(context.Background(), reg, "sbx1", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := entra.GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, reg: reg, w: w, iss: entra.NewIssuer(ks)}
	f.svc = New(reg, entra.NewValidator(ks), Limits{})
	w.View(func(st *world.State) { f.account = scenario.ResourcesOf(st).StorageAccount })
	login := entra.NewService(reg, f.iss)
	router := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		switch {
		case host == "login.microsoftonline.com":
			login.ServeHTTP(rw, r)
		case strings.HasSuffix(host, service.SuffixQueue):
			n := &trace.Notes{}
			f.svc.ServeHTTP(rw, r.WithContext(trace.WithNotes(r.Context(), n)))
			f.mu.Lock()
			f.lastNotes = n
			f.mu.Unlock()
		default:
			http.Error(rw, "no such host", http.StatusBadGateway)
		}
	})
	f.http = &http.Client{Transport: &inproc.Transport{Handler: router}}
	return f
}

func (f *fixture) notes() *trace.Notes {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastNotes
}

func (f *fixture) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Transport: f.http, Retry: policy.RetryOptions{MaxRetries: -1}}
}

// credential is the scenario's localDev service principal, as a developer
// would configure it: a real azidentity.ClientSecretCredential.
func (f *fixture) credential() azcore.TokenCredential {
	f.t.Helper()
	var tenant, appID, secret string
	f.w.View(func(st *world.State) {
		tenant = st.TenantID
		appID = st.Principals[st.Labels[scenario.LabelLocalDev]].AppID
		secret = st.Keychain[scenario.LabelLocalDev]
	})
	cred, err := azidentity.NewClientSecretCredential(tenant, appID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: f.clientOptions()})
	if err != nil {
		f.t.Fatal(err)
	}
	return cred
}

func (f *fixture) localDev() string {
	var id string
	f.w.View(func(st *world.State) { id = st.Labels[scenario.LabelLocalDev] })
	return id
}

func (f *fixture) serviceURL() string { return "https://" + f.account + service.SuffixQueue + "/" }

func (f *fixture) queueClient(name string) *azqueue.QueueClient {
	f.t.Helper()
	qc, err := azqueue.NewQueueClient(f.serviceURL()+name, f.credential(),
		&azqueue.ClientOptions{ClientOptions: f.clientOptions()})
	if err != nil {
		f.t.Fatal(err)
	}
	return qc
}

func (f *fixture) serviceClient() *azqueue.ServiceClient {
	f.t.Helper()
	sc, err := azqueue.NewServiceClient(f.serviceURL(), f.credential(),
		&azqueue.ClientOptions{ClientOptions: f.clientOptions()})
	if err != nil {
		f.t.Fatal(err)
	}
	return sc
}

// grant assigns a role to localDev at the storage account.
func (f *fixture) grant(roleID string) {
	f.t.Helper()
	principal := f.localDev()
	err := f.w.Update(context.Background(), func(tx *world.Tx) error {
		a := tx.State.StorageAccount(f.account)
		tx.AddRoleAssignment(rbac.Assignment{Scope: tx.State.StorageAccountID(a), RoleDefinitionID: roleID, PrincipalID: principal})
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// advance moves the sandbox clock, as the lesson UI does.
func (f *fixture) advance(d time.Duration) {
	f.t.Helper()
	err := f.w.Update(context.Background(), func(tx *world.Tx) error {
		tx.State.ClockOffset += d
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// token mints a token for localDev directly (raw-HTTP tests).
func (f *fixture) token(resource string, at time.Time) string {
	f.t.Helper()
	var p *world.Principal
	f.w.View(func(st *world.State) { p = st.Principals[st.Labels[scenario.LabelLocalDev]] })
	tok, _, err := f.iss.Issue(f.w, p, resource, at)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

func ptr[T any](v T) *T { return &v }
