package simtest_test

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// BenchmarkWalkthroughWarm is one pass of the walkthrough's main app with warm
// clients (tokens cached by the SDK pipelines): Key Vault GetSecret, the
// third-party API call, and a queue message, with every exchange recorded on
// the trace. "runner" is code on the App Service site in process (managed
// identity, App Service protocol); "proxy-tls" is a workstation program with
// a client secret through the proxy over real TLS (keep-alive tunnels).
func BenchmarkWalkthroughWarm(b *testing.B) {
	e := newEnv(b, "sbx-bench").withProxy()
	box := e.boxes["sbx-bench"]
	for _, l := range []string{scenario.LabelMainApp, scenario.LabelLocalDev} {
		box.grant(b, l, rbac.RoleKeyVaultSecretsUser, box.vaultScope)
		box.grant(b, l, rbac.RoleStorageQueueMessageSender, box.queueScope)
	}
	site, _ := box.site(box.names.MainSite)
	b.Setenv("IDENTITY_ENDPOINT", entra.AppServiceIdentityEndpoint)
	b.Setenv("IDENTITY_HEADER", site.IdentityHeader)

	miCred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts(e.runner(box.onSite("bench")))})
	if err != nil {
		b.Fatal(err)
	}
	secretCred := secretCred(b, box, box.w.TenantID(), scenario.LabelLocalDev, e.proxyClient(box.id))
	apps := []struct {
		name string
		app  *mainApp
	}{
		{"runner", newMainApp(b, e, box, miCred, box.onSite("bench"))},
		{"proxy-tls", newMainAppWith(b, box, secretCred, e.proxyClient(box.id))},
	}

	ctx := context.Background()
	for _, a := range apps {
		pass := func() {
			s, err := a.app.secrets.GetSecret(ctx, scenario.SecretName, "", nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.app.callAPI(ctx, box.apiURL(), *s.Value); err != nil {
				b.Fatal(err)
			}
			if _, err := a.app.queue.EnqueueMessage(ctx, "bench", nil); err != nil {
				b.Fatal(err)
			}
		}
		pass() // warm: challenge, token, connections
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				pass()
				// Every put scans the queue for expired messages: keep it
				// short so the figure is the steady state, not the backlog.
				if n++; n%256 == 0 {
					b.StopTimer()
					box.clearQueue(b)
					b.StartTimer()
				}
			}
		})
	}
}

// clearQueue empties the walkthrough queue (world op, as Clear Messages).
func (x *box) clearQueue(tb testing.TB) {
	err := x.w.Update(context.Background(), func(tx *world.Tx) error {
		tx.State.StorageAccount(x.names.StorageAccount).Queues[scenario.QueueName].Messages = nil
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}
