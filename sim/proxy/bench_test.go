package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
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

// BenchmarkProxyTLSPostNagle: a token POST through a kept-alive tunnel from
// a client that writes headers and body separately with Nagle's algorithm
// on, as Python's http.client over urllib3's proxy tunnel does. Without
// the proxy's immediate ACK each POST waits out the delayed ACK (~40 ms).
func BenchmarkProxyTLSPostNagle(b *testing.B) {
	e := newEnv(b, "sbx-bench")
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetNoDelay(false); err != nil {
		b.Fatal(err)
	}
	host := "login.microsoftonline.com"
	if _, err := io.WriteString(conn, "CONNECT "+host+":443 HTTP/1.1\r\nHost: "+host+":443\r\n\r\n"); err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatal(err, resp)
	}
	tc := tls.Client(conn, &tls.Config{RootCAs: e.ca.Pool(), ServerName: host})
	tr := bufio.NewReader(tc)
	body := "grant_type=client_credentials&client_id=nobody&client_secret=x&scope=https%3A%2F%2Fvault.azure.net%2F.default"
	head := "POST /" + e.tenant("sbx-bench") + "/oauth2/v2.0/token HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	for b.Loop() {
		if _, err := io.WriteString(tc, head); err != nil {
			b.Fatal(err)
		}
		if _, err := io.WriteString(tc, body); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(tr, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnauthorized {
			b.Fatal(resp.Status)
		}
	}
}
