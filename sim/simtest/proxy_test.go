package simtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// TestCoreFlowsThroughProxy: the developer-workstation flows with the real
// SDKs over real TLS through the proxy (CONNECT, leaves minted by the sandbox
// CA): ClientSecretCredential with instance discovery on, azsecrets get
// (403 ForbiddenByRbac, then 200 once granted) and azqueue enqueue/dequeue
// (403, then the round trip). Every exchange is recorded via "proxy" on the
// sandbox the proxy credentials name.
func TestCoreFlowsThroughProxy(t *testing.T) {
	e := newEnv(t, "sbx-tls", "sbx-bystander").withProxy()
	b := e.boxes["sbx-tls"]
	hc := e.proxyClient(b.id)
	cred := secretCred(t, b, b.w.TenantID(), scenario.LabelLocalDev, hc)
	ctx := context.Background()

	t.Run("azsecrets: 403 then 200", func(t *testing.T) {
		client, err := azsecrets.NewClient(b.vaultURL(), cred, &azsecrets.ClientOptions{ClientOptions: opts(hc)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.GetSecret(ctx, scenario.SecretName, "", nil)
		if status, code := responseCode(t, err); status != http.StatusForbidden || code != "Forbidden" ||
			!strings.Contains(err.Error(), "ForbiddenByRbac") || !strings.Contains(err.Error(), "Caller is not authorized") {
			t.Fatalf("GetSecret without a role: %v", err)
		}
		b.grant(t, scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, b.vaultScope)
		got, err := client.GetSecret(ctx, scenario.SecretName, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		site, _ := b.site(b.names.ThirdPartySite)
		if *got.Value != site.FunctionKeys["default"] {
			t.Fatal("wrong secret value")
		}
	})

	t.Run("azqueue: 403, then enqueue and dequeue", func(t *testing.T) {
		svc, err := azqueue.NewServiceClient(b.queueServiceURL(), cred, &azqueue.ClientOptions{ClientOptions: opts(hc)})
		if err != nil {
			t.Fatal(err)
		}
		q := svc.NewQueueClient(scenario.QueueName)
		_, err = q.EnqueueMessage(ctx, "hello", nil)
		if status, code := responseCode(t, err); status != http.StatusForbidden || code != "AuthorizationPermissionMismatch" {
			t.Fatalf("EnqueueMessage without a role: %v", err)
		}
		b.grant(t, scenario.LabelLocalDev, rbac.RoleStorageQueueDataContributor, b.queueScope)
		if _, err := q.EnqueueMessage(ctx, "hello over TLS", nil); err != nil {
			t.Fatal(err)
		}
		got, err := q.DequeueMessage(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) != 1 || *got.Messages[0].MessageText != "hello over TLS" || *got.Messages[0].DequeueCount != 1 {
			t.Fatalf("dequeued %+v", got.Messages)
		}
		m := got.Messages[0]
		if _, err := q.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil); err != nil {
			t.Fatal(err)
		}
		peek, err := q.PeekMessages(ctx, nil)
		if err != nil || len(peek.Messages) != 0 {
			t.Fatalf("peek after delete: %v %+v", err, peek)
		}
	})

	exs := e.since(b.id, 0)
	t.Logf("trace:%s", describe(exs))
	services := map[service.Name]int{}
	for _, ex := range exs {
		services[ex.Service]++
		if ex.Via != "proxy" || ex.SandboxID != b.id || !strings.HasPrefix(ex.URL, "https://") {
			t.Errorf("%s %s: via %q sandbox %q", ex.Method, ex.URL, ex.Via, ex.SandboxID)
		}
		if ex.Service == "keyvault" || ex.Service == "queue" {
			if ex.Status >= 200 && ex.Status < 300 && (ex.Authz == nil || !ex.Authz.Allowed) {
				t.Errorf("%s %s → %d without an allowing decision", ex.Method, ex.URL, ex.Status)
			}
			if ex.Status == http.StatusForbidden && (ex.Authz == nil || ex.Authz.Allowed) {
				t.Errorf("%s %s → 403 without a denying decision", ex.Method, ex.URL)
			}
		}
	}
	if services["entra"] < 3 || services["keyvault"] != 3 || services["queue"] < 5 {
		t.Errorf("services %v", services)
	}
	site, _ := b.site(b.names.ThirdPartySite)
	assertNoSecrets(t, exs, b.secret(scenario.LabelLocalDev), site.FunctionKeys["default"], accessKey(b.id))
	if !strings.Contains(describe(exs), "/common/discovery/instance") {
		t.Errorf("instance discovery not in the trace")
	}
	if n := len(e.since("sbx-bystander", 0)); n != 0 {
		t.Errorf("the bystander's trace has %d exchanges", n)
	}
}
