package store

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// benchExchange is a typical Key Vault exchange with a decoded token and an
// RBAC decision: about 2.5 KB of JSON.
func benchExchange() *trace.Exchange {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return &trace.Exchange{
		SandboxID: "sb", Time: at, SimTime: at, DurationUS: 830, Via: "runner", Step: "read-secret",
		Service: "keyvault", Method: "GET",
		URL: "https://kv-abc123.vault.azure.net/secrets/third-party-api-key/?api-version=7.5",
		RequestHeaders: http.Header{
			"Authorization": {"Bearer ***"}, "User-Agent": {"azsdk-go-azsecrets/v1.5.1 (go1.26; linux)"},
			"X-Ms-Client-Request-Id": {"6f1b2c9e-2b7f-4d5e-9a3b-0f6a1d2c3b4e"}, "Accept": {"application/json"},
		},
		Status: 200,
		ResponseHeaders: http.Header{
			"Content-Type": {"application/json; charset=utf-8"}, "X-Ms-Request-Id": {"0c3e4f5a-aaaa-bbbb-cccc-1234567890ab"},
			"X-Ms-Keyvault-Service-Version": {"1.9.1.0"},
		},
		ResponseBody: `{"value":"***","id":"https://kv-abc123.vault.azure.net/secrets/third-party-api-key/0f1e2d3c4b5a69788796a5b4c3d2e1f0","attributes":{"enabled":true,"created":1740830400,"updated":1740830400,"recoveryLevel":"Recoverable+Purgeable"}}`,
		Token: &trace.Token{Header: map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"},
			Claims: map[string]any{"aud": "https://vault.azure.net", "iss": "https://sts.windows.net/tid/",
				"iat": 1740830400.0, "nbf": 1740830400.0, "exp": 1740834000.0, "appid": "a1", "oid": "o1",
				"tid": "tid", "sub": "o1", "idtyp": "app", "ver": "1.0"}},
		Authn: &trace.Authn{OK: true, Subject: "appid=a1;oid=o1"},
		Authz: &rbac.Decision{Model: "rbac", Allowed: true,
			Principal: rbac.Principal{ObjectID: "o1", Type: "ServicePrincipal", DisplayName: "localDev", AppID: "a1"},
			Action:    "Microsoft.KeyVault/vaults/secrets/getSecret/action", DataAction: true,
			Scope:      "/subscriptions/sub/resourceGroups/auth-scenario-rg/providers/Microsoft.KeyVault/vaults/kv-abc123/secrets/third-party-api-key",
			Considered: []rbac.Considered{}, Summary: "localDev may read secrets: Key Vault Secrets User on the vault."},
	}
}

func BenchmarkAppendExchange(b *testing.B) {
	db := openTest(b)
	ctx := context.Background()
	mustSandbox(b, db, "sb", "")
	ex := benchExchange()
	b.ReportAllocs()
	for b.Loop() {
		if err := db.AppendExchange(ctx, ex); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendExchangeParallel: many requests recording at once, all
// funnelled through the one writer connection.
func BenchmarkAppendExchangeParallel(b *testing.B) {
	db := openTest(b)
	ctx := context.Background()
	mustSandbox(b, db, "sb", "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ex := benchExchange()
		for pb.Next() {
			if err := db.AppendExchange(ctx, ex); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// fullTrace is a store whose sandbox "sb" has appended more exchanges
// than its trace keeps.
func fullTrace(b *testing.B) *DB {
	db := openTest(b)
	mustSandbox(b, db, "sb", "")
	ex := benchExchange()
	for range trace.DefaultLimit + 20 {
		if err := db.AppendExchange(context.Background(), ex); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

func BenchmarkExchanges500(b *testing.B) {
	db, ctx := fullTrace(b), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, err := db.Exchanges(ctx, "sb", 0)
		if err != nil || len(got) != trace.DefaultLimit {
			b.Fatal(len(got), err)
		}
	}
}

// BenchmarkExchangesJSON500 is the API's path: a full trace without decoding.
func BenchmarkExchangesJSON500(b *testing.B) {
	db, ctx := fullTrace(b), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, err := db.ExchangesJSON(ctx, "sb", 0)
		if err != nil || len(got) != trace.DefaultLimit {
			b.Fatal(len(got), err)
		}
	}
}

func BenchmarkSaveWorld(b *testing.B) {
	db := openTest(b)
	ctx := context.Background()
	mustSandbox(b, db, "sb", "")
	// Two worlds of different lengths, alternated: SQLite skips rewriting
	// overflow pages whose bytes did not change, and a real save changes them.
	worlds := [2][]byte{
		bytes.Repeat([]byte(`{"k":"0123456789abcdef"},`), 10*1024/25),
		bytes.Repeat([]byte(`{"k":"fedcba987654321"},`), 10*1024/24),
	}
	b.SetBytes(int64(len(worlds[0])))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := db.SaveWorld(ctx, "sb", worlds[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSandboxByAccessKey is the per-request access check of the API.
func BenchmarkSandboxByAccessKey(b *testing.B) {
	db := openTest(b)
	ctx := context.Background()
	for _, id := range strings.Fields("a b c d e f g h") {
		mustSandbox(b, db, id, "")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.SandboxByAccessKey(ctx, "key-e"); err != nil {
			b.Fatal(err)
		}
	}
}

// queueTrafficExchange is a queue message exchange as the proxy records it
// (about 3.4 KB of JSON): a decoded token and an RBAC decision with the
// assignment that matched.
func queueTrafficExchange(i int) *trace.Exchange {
	at := time.Date(2025, 3, 1, 12, 0, 0, i, time.UTC)
	grant := rbac.Considered{AssignmentID: "6b0c8eaa-4d9e-4cae-a1dd-f3a414eaa621", RoleID: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
		RoleName: "Storage Queue Data Contributor", Scope: "/subscriptions/153e587a-78cc-435b-90d4-405a506b5460/resourceGroups/auth-scenario-rg/providers/Microsoft.Storage/storageAccounts/stauth277c6b",
		PrincipalID: "ac22e61a-e400-46b8-86fe-1f772350068b", Matched: true, Reason: "granted",
		Explanation: "Storage Queue Data Contributor at the storage account stauth277c6b grants Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action"}
	return &trace.Exchange{
		SandboxID: "sb", Time: at, SimTime: at, DurationUS: 501, Via: "proxy", Service: "queue", Method: "DELETE",
		URL: fmt.Sprintf("https://stauth277c6b.queue.core.windows.net/bench/messages/df348faa-ad53-4be6-86fa-%012d?popreceipt=8Fo1IywQO%%2F1qiIdM8Q6JawCQfYw%%3D", i),
		RequestHeaders: http.Header{"Accept": {"application/xml"}, "Authorization": {"Bearer eyJ0eX…(masked)"},
			"User-Agent": {"azsdk-go-azqueue/v2.1.1 (go1.26.8; linux)"}, "X-Ms-Version": {"2026-04-06"}},
		Status: 204,
		ResponseHeaders: http.Header{"Content-Length": {"0"}, "Date": {"Fri, 04 Dec 2026 22:51:25 GMT"},
			"Server": {"Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0"}, "X-Ms-Request-Id": {"206eac6d-6150-4d18-9c80-1cd02f928c6d"},
			"X-Ms-Version": {"2026-04-06"}},
		Token: &trace.Token{Header: map[string]any{"alg": "RS256", "kid": "aH2DjTGBi7gyD_qOdNUittKMf6g", "typ": "JWT", "x5t": "aH2DjTGBi7gyD_qOdNUittKMf6g"},
			Claims: map[string]any{"appid": "0755d8fa-1571-4d9a-b87e-2ffd59a837f2", "appidacr": "1", "aud": "https://storage.azure.com",
				"exp": 1796428260.0, "iat": 1796424361.0, "idp": "https://sts.windows.net/08c4021c-2c4c-41e2-9e20-ed7e0e5c1fd8/", "idtyp": "app",
				"iss": "https://sts.windows.net/08c4021c-2c4c-41e2-9e20-ed7e0e5c1fd8/", "nbf": 1796424361.0,
				"oid": "ac22e61a-e400-46b8-86fe-1f772350068b", "sub": "ac22e61a-e400-46b8-86fe-1f772350068b",
				"tid": "08c4021c-2c4c-41e2-9e20-ed7e0e5c1fd8", "uti": "k7D7m5M6gKkvhDW8hTaJow", "ver": "1.0"}},
		Authn: &trace.Authn{OK: true, Subject: "appid=0755d8fa-1571-4d9a-b87e-2ffd59a837f2;oid=ac22e61a-e400-46b8-86fe-1f772350068b;iss=https://sts.windows.net/08c4021c-2c4c-41e2-9e20-ed7e0e5c1fd8/"},
		Authz: &rbac.Decision{Model: "rbac", Allowed: true,
			Principal: rbac.Principal{ObjectID: "ac22e61a-e400-46b8-86fe-1f772350068b", Type: "ServicePrincipal", DisplayName: "localdev-277c6b", AppID: "0755d8fa-1571-4d9a-b87e-2ffd59a837f2"},
			Action:    "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action", DataAction: true,
			Scope:   "/subscriptions/153e587a-78cc-435b-90d4-405a506b5460/resourceGroups/auth-scenario-rg/providers/Microsoft.Storage/storageAccounts/stauth277c6b/queueServices/default/queues/bench",
			Matched: &grant, Considered: []rbac.Considered{grant},
			Summary: "Allowed: Storage Queue Data Contributor assigned at the storage account stauth277c6b grants localdev-277c6b (ac22e61a-e400-46b8-86fe-1f772350068b) Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action on the queue bench."},
	}
}

// BenchmarkQueueTraffic is the store's share of queue messages under load
// (16 clients): each operation records its exchange in a trace.Book over the
// store (the row queued without waiting) and waits for its change record's
// commit, as a queue request does.
func BenchmarkQueueTraffic(b *testing.B) {
	db := openTest(b)
	mustSandbox(b, db, "sb", "")
	change := bytes.Repeat([]byte("c"), 300)
	book := trace.NewBook(0, db)
	var seq atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	// The front door decodes a bearer token once: its exchanges share it.
	token := queueTrafficExchange(0).Token
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			ex := queueTrafficExchange(int(n))
			ex.Token = token
			if err := book.Record(context.Background(), ex); err != nil {
				b.Error(err)
				return
			}
			if err := db.QueueChange("sb", n, change)(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := db.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
