package proxy

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// BenchmarkProxyTLSRequest: GET the OIDC discovery document through the
// proxy over TLS, on a kept-alive tunnel.
func BenchmarkProxyTLSRequest(b *testing.B) {
	e := newEnv(b, "sbx-bench")
	cl := e.client("")
	u := "https://login.microsoftonline.com/" + e.tenant("sbx-bench") + "/v2.0/.well-known/openid-configuration"
	for b.Loop() {
		resp, err := cl.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
}

// BenchmarkProxyTLSNewConnection: the same GET on a new connection each time
// (CONNECT + TLS handshake with a cached leaf).
func BenchmarkProxyTLSNewConnection(b *testing.B) {
	e := newEnv(b, "sbx-bench")
	cl := e.client("")
	cl.Transport.(*http.Transport).DisableKeepAlives = true
	u := "https://login.microsoftonline.com/" + e.tenant("sbx-bench") + "/v2.0/.well-known/openid-configuration"
	for b.Loop() {
		resp, err := cl.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkEnqueueDequeueViaProxy: azqueue EnqueueMessage + DequeueMessage +
// DeleteMessage through the proxy over TLS with a warm token.
func BenchmarkEnqueueDequeueViaProxy(b *testing.B) {
	e := newEnv(b, "sbx-bench")
	w := e.boxes["sbx-bench"]
	names := e.names("sbx-bench")
	err := w.Update(context.Background(), func(tx *world.Tx) error {
		tx.AddRoleAssignment(rbac.Assignment{
			Scope:            tx.State.StorageAccountID(tx.State.StorageAccount(names.StorageAccount)),
			RoleDefinitionID: rbac.RoleStorageQueueDataContributor,
			PrincipalID:      tx.State.Labels[scenario.LabelLocalDev],
		})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var clientID, secret string
	w.View(func(st *world.State) {
		clientID = st.Principals[st.Labels[scenario.LabelLocalDev]].AppID
		secret = st.Keychain[scenario.LabelLocalDev]
	})
	opts := azcore.ClientOptions{Transport: e.client("sbx-bench")}
	cred, err := azidentity.NewClientSecretCredential(w.TenantID(), clientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	q, err := azqueue.NewQueueClient("https://"+names.StorageAccount+".queue.core.windows.net/"+scenario.QueueName, cred,
		&azqueue.ClientOptions{ClientOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := q.EnqueueMessage(ctx, "hello", nil); err != nil {
			b.Fatal(err)
		}
		resp, err := q.DequeueMessage(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Messages) != 1 {
			b.Fatalf("dequeued %d messages", len(resp.Messages))
		}
		m := resp.Messages[0]
		if _, err := q.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLeafCached: Leaf for a host already minted.
func BenchmarkLeafCached(b *testing.B) {
	ca, _ := fixtures(b)
	for b.Loop() {
		if _, err := ca.Leaf("login.microsoftonline.com"); err != nil {
			b.Fatal(err)
		}
	}
}
