package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

func recordExchanges(t testing.TB, e *env, sandboxID string, n int) {
	t.Helper()
	for i := range n {
		ex := &trace.Exchange{
			SandboxID: sandboxID,
			Time:      time.Now(),
			Via:       "proxy",
			Service:   "keyvault",
			Method:    "GET",
			URL:       fmt.Sprintf("https://kv.vault.azure.net/secrets/s%d?api-version=7.5", i),
			RequestHeaders: http.Header{
				"Authorization": {"Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA"},
			},
			Status:          403,
			ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
			ResponseBody:    `{"error":{"code":"Forbidden"}}`,
			Authz:           &rbac.Decision{Model: "rbac", Allowed: false, Action: "Microsoft.KeyVault/vaults/secrets/getSecret/action"},
		}
		if err := e.book.Record(context.Background(), ex); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTraceNewestLastWithAfter(t *testing.T) {
	e := newEnv(t)
	sb := e.createAnon("")
	other := e.createAnon("empty")
	recordExchanges(t, e, sb.ID, 3)
	recordExchanges(t, e, other.ID, 1)

	res := e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace", "")
	if res.StatusCode != 200 {
		t.Fatalf("trace = %d %s", res.StatusCode, res.body)
	}
	tr := decode[traceResponse](t, res.body)
	if len(tr.Exchanges) != 3 {
		t.Fatalf("%d exchanges, want 3 (another sandbox's must not show)", len(tr.Exchanges))
	}
	for i, ex := range tr.Exchanges {
		if ex.SandboxID != sb.ID || !strings.Contains(ex.URL, fmt.Sprintf("/s%d?", i)) {
			t.Errorf("exchange %d = %s %s: not oldest first", i, ex.SandboxID, ex.URL)
		}
		if ex.Authz == nil || ex.Authz.Allowed {
			t.Errorf("exchange %d lost its decision", i)
		}
		if a := ex.RequestHeaders.Get("Authorization"); strings.Contains(a, "c2lnbmF0dXJlLXNlY3JldA") {
			t.Errorf("authorization not masked: %q", a)
		}
	}
	after := tr.Exchanges[1].Seq
	tr = decode[traceResponse](t, e.bearer(sb.AccessKey, "GET", fmt.Sprintf("/api/sandboxes/%s/trace?after=%d", sb.ID, after), "").body)
	if len(tr.Exchanges) != 1 || tr.Exchanges[0].Seq <= after {
		t.Errorf("after=%d gave %+v", after, tr.Exchanges)
	}
	empty := e.bearer(other.AccessKey, "GET", "/api/sandboxes/"+other.ID+"/trace?after=99", "")
	if strings.TrimSpace(empty.body) != `{"exchanges":[]}` {
		t.Errorf("empty trace = %s", empty.body)
	}
}

func TestTraceHAR(t *testing.T) {
	e := newEnv(t)
	sb := e.createAnon("")
	recordExchanges(t, e, sb.ID, 2)
	res := e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace.har", "")
	if res.StatusCode != 200 {
		t.Fatalf("har = %d %s", res.StatusCode, res.body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="sandbox-`+sb.ID+`.har"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	var har struct {
		Log struct {
			Version string
			Creator struct{ Name string }
			Entries []struct {
				Request struct {
					Method, URL string
					Headers     []struct{ Name, Value string }
				}
				Response struct{ Status int }
			}
		}
	}
	if err := json.Unmarshal([]byte(res.body), &har); err != nil {
		t.Fatal(err)
	}
	if har.Log.Version != "1.2" || har.Log.Creator.Name != "azure-auth-sandbox" || len(har.Log.Entries) != 2 {
		t.Fatalf("har log = %+v", har.Log)
	}
	for _, en := range har.Log.Entries {
		if en.Response.Status != 403 || en.Request.Method != "GET" {
			t.Errorf("entry = %+v", en)
		}
		for _, h := range en.Request.Headers {
			if strings.EqualFold(h.Name, "Authorization") && strings.Contains(h.Value, "c2lnbmF0dXJlLXNlY3JldA") {
				t.Errorf("HAR holds the token: %q", h.Value)
			}
		}
	}
}
