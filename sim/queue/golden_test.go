package queue

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestGoldenBodies pins the exact XML of a Put Message and a Get Messages
// response (IDs, receipts and the sandbox clock made deterministic).
func TestGoldenBodies(t *testing.T) {
	f := newFixture(t)
	// Move the sandbox to a fixed instant: 2026-01-15 10:00:00 UTC.
	target := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	f.advance(target.Sub(f.w.Now()))
	f.grant(rbac.RoleStorageQueueDataContributor) // effective from the new "now"
	n := 0
	f.svc.newID = func() string { n++; return fmt.Sprintf("00000000-0000-0000-0000-%012d", n) }
	r := 0
	f.svc.newReceipt = func() string { r++; return fmt.Sprintf("AgAAAAMAAAAAAAAA%012d", r) }
	tok := f.token(entra.ResourceStorage, f.w.Now())

	do := func(method, url, body string) string {
		req := httptest.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("x-ms-version", version)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		f.svc.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", method, url, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	url := f.serviceURL() + "messages/messages"
	put := do("POST", url+"?messagettl=3600", `<QueueMessage><MessageText>order 42 &amp; "more"</MessageText></QueueMessage>`)
	get := do("GET", url+"?numofmessages=5&visibilitytimeout=45", "")
	check(t, "put_message.golden.xml", put)
	check(t, "get_messages.golden.xml", get)
	// The state agrees with what was returned.
	f.w.View(func(st *world.State) {
		m := st.StorageAccount(f.account).Queues["messages"].Messages[0]
		if m.DequeueCount != 1 || !m.TimeNextVisible.Equal(target.Add(45*time.Second)) {
			t.Errorf("stored message %+v", m)
		}
	})
}

func check(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n got %s\nwant %s", name, got, want)
	}
}
