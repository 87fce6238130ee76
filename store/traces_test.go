package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

func seqs(exs []trace.Exchange) []int64 {
	out := []int64{}
	for _, e := range exs {
		out = append(out, e.Seq)
	}
	return out
}

func TestExchangeRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustSandbox(t, db, "sb", "")
	at := time.Date(2025, 3, 1, 12, 0, 0, 5000, time.UTC)
	in := trace.Exchange{
		Seq: 77, SandboxID: "sb", Time: at, SimTime: at.Add(time.Hour), DurationUS: 1234,
		Via: "proxy", Step: "s2", Site: "app-x", Service: "keyvault",
		Method: "GET", URL: "https://kv-x.vault.azure.net/secrets/s?api-version=7.5",
		RequestHeaders: http.Header{"Authorization": {"Bearer ***"}}, RequestBody: "",
		Status: 403, ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
		ResponseBody: `{"error":{"code":"Forbidden"}}`,
		Token:        &trace.Token{Header: map[string]any{"alg": "RS256"}, Claims: map[string]any{"oid": "o1"}},
		Authn:        &trace.Authn{OK: true, Subject: "oid=o1"},
		Authz: &rbac.Decision{Model: "rbac", Action: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
			DataAction: true, Scope: "/subscriptions/s", Considered: []rbac.Considered{}, Summary: "denied"},
	}
	ex := in
	if err := db.AppendExchange(ctx, &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Seq != 1 {
		t.Errorf("Seq = %d, want 1 (the store numbers exchanges)", ex.Seq)
	}
	got, err := db.Exchanges(ctx, "sb", 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("Exchanges = %d, %v", len(got), err)
	}
	in.Seq = 1
	if !reflect.DeepEqual(got[0], in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got[0], in)
	}
	raw, err := db.ExchangesJSON(ctx, "sb", 0)
	if err != nil || len(raw) != 1 {
		t.Fatalf("ExchangesJSON = %d, %v", len(raw), err)
	}
	want, _ := json.Marshal(in)
	if string(raw[0]) != string(want) {
		t.Errorf("ExchangesJSON:\n got %s\nwant %s", raw[0], want)
	}
}

func TestWithSeq(t *testing.T) {
	for _, seq := range []int64{1, 9, 10, 500, 1 << 40} {
		ex := trace.Exchange{SandboxID: "sb", URL: "u", Status: 200}
		data, _ := json.Marshal(ex)
		got, err := withSeq(data, seq)
		if err != nil {
			t.Fatal(err)
		}
		ex.Seq = seq
		want, _ := json.Marshal(ex)
		if string(got) != string(want) {
			t.Errorf("withSeq(%d) = %s, want %s", seq, got, want)
		}
	}
	// Not the expected prefix: decodes and encodes.
	got, err := withSeq([]byte(`{"sandboxId":"sb","seq":0}`), 3)
	if err != nil || !strings.HasPrefix(string(got), `{"seq":3,"sandboxId":"sb"`) {
		t.Errorf("fallback = %s, %v", got, err)
	}
	if _, err := withSeq([]byte(`nope`), 3); err == nil {
		t.Error("withSeq accepted invalid JSON")
	}
}

func TestTraceBound(t *testing.T) {
	db := openTest(t, WithTraceLimit(5))
	ctx := context.Background()
	mustSandbox(t, db, "sb", "")
	mustSandbox(t, db, "other", "")
	for i := 1; i <= 12; i++ {
		ex := &trace.Exchange{SandboxID: "sb", URL: fmt.Sprint(i)}
		if err := db.AppendExchange(ctx, ex); err != nil {
			t.Fatal(err)
		}
		if ex.Seq != int64(i) {
			t.Fatalf("append %d: Seq = %d", i, ex.Seq)
		}
	}
	if err := db.AppendExchange(ctx, &trace.Exchange{SandboxID: "other"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit int
		want  []int64
	}{
		{0, []int64{8, 9, 10, 11, 12}},
		{-1, []int64{8, 9, 10, 11, 12}},
		{3, []int64{10, 11, 12}},
		{1, []int64{12}},
		{100, []int64{8, 9, 10, 11, 12}},
	} {
		t.Run(fmt.Sprint("limit=", tc.limit), func(t *testing.T) {
			got, err := db.Exchanges(ctx, "sb", tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(seqs(got)) != fmt.Sprint(tc.want) {
				t.Errorf("seqs = %v, want %v", seqs(got), tc.want)
			}
			for _, e := range got {
				if e.URL != fmt.Sprint(e.Seq) || e.SandboxID != "sb" {
					t.Errorf("exchange %d carries URL %q sandbox %q", e.Seq, e.URL, e.SandboxID)
				}
			}
		})
	}
	var rows int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM exchanges WHERE sandbox_id = 'sb'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 5 {
		t.Errorf("table holds %d rows for sb, want 5", rows)
	}
	if got, _ := db.Exchanges(ctx, "other", 0); len(got) != 1 || got[0].Seq != 1 {
		t.Errorf("other sandbox: %v", seqs(got))
	}

	t.Run("clear keeps numbering", func(t *testing.T) {
		if err := db.ClearExchanges(ctx, "sb"); err != nil {
			t.Fatal(err)
		}
		got, err := db.Exchanges(ctx, "sb", 0)
		if err != nil || len(got) != 0 || got == nil {
			t.Fatalf("after clear: %#v, %v", got, err)
		}
		ex := &trace.Exchange{SandboxID: "sb"}
		if err := db.AppendExchange(ctx, ex); err != nil || ex.Seq != 13 {
			t.Errorf("append after clear: seq %d, %v; want 13", ex.Seq, err)
		}
		if got, _ := db.Exchanges(ctx, "other", 0); len(got) != 1 {
			t.Errorf("clear touched another sandbox: %v", seqs(got))
		}
	})
}

// TestTraceLimitChangesOnReopen: the limit is whatever the last Open said.
func TestTraceLimitChangesOnReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	count := func(db *DB) (n int) {
		t.Helper()
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM exchanges`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, step := range []struct{ limit, appends, want int }{
		{10, 15, 10}, {3, 1, 3}, {8, 20, 8},
	} {
		db, err := Open(ctx, path, WithTraceLimit(step.limit))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Sandbox(ctx, "sb"); errors.Is(err, ErrNotFound) {
			mustSandbox(t, db, "sb", "")
		}
		for range step.appends {
			if err := db.AppendExchange(ctx, &trace.Exchange{SandboxID: "sb"}); err != nil {
				t.Fatal(err)
			}
		}
		if got := count(db); got != step.want {
			t.Errorf("limit %d: %d rows, want %d", step.limit, got, step.want)
		}
		db.Close()
	}
}

func TestTraceNotFound(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustSandbox(t, db, "empty", "")
	for _, tc := range []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{"append unknown", func() error { return db.AppendExchange(ctx, &trace.Exchange{SandboxID: "ghost"}) }, ErrNotFound},
		{"append no sandbox", func() error { return db.AppendExchange(ctx, &trace.Exchange{}) }, ErrInvalid},
		{"append nil", func() error { return db.AppendExchange(ctx, nil) }, ErrInvalid},
		{"read unknown", func() error { _, err := db.Exchanges(ctx, "ghost", 0); return err }, ErrNotFound},
		{"read empty", func() error { _, err := db.Exchanges(ctx, "empty", 0); return err }, nil},
		{"read JSON unknown", func() error { _, err := db.ExchangesJSON(ctx, "ghost", 0); return err }, ErrNotFound},
		{"read JSON empty", func() error {
			got, err := db.ExchangesJSON(ctx, "empty", 0)
			if err == nil && (got == nil || len(got) != 0) {
				return fmt.Errorf("got %#v, want empty non-nil", got)
			}
			return err
		}, nil},
		{"clear unknown", func() error { return db.ClearExchanges(ctx, "ghost") }, ErrNotFound},
		{"clear empty", func() error { return db.ClearExchanges(ctx, "empty") }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	// A failed append leaves nothing behind.
	var n int
	db.r.QueryRowContext(ctx, `SELECT count(*) FROM exchanges`).Scan(&n)
	if n != 0 {
		t.Errorf("exchanges has %d rows after failed appends", n)
	}
}

// TestConcurrentAppendAndRead hammers one DB from many goroutines (run with
// -race): sequence numbers stay dense and unique per sandbox, readers always
// see an ordered, bounded trace, and world saves interleave safely.
func TestConcurrentAppendAndRead(t *testing.T) {
	const (
		sandboxes = 4
		writers   = 16
		perWriter = 60
		limit     = 100
	)
	db := openTest(t, WithTraceLimit(limit))
	ctx := context.Background()
	for i := range sandboxes {
		mustSandbox(t, db, fmt.Sprint("sb", i), "")
	}
	var wg sync.WaitGroup
	errc := make(chan error, 1000)
	seen := make([]map[int64]bool, sandboxes)
	var mu sync.Mutex
	for i := range seen {
		seen[i] = map[int64]bool{}
	}
	for w := range writers {
		wg.Go(func() {
			sb := w % sandboxes
			for i := range perWriter {
				ex := &trace.Exchange{SandboxID: fmt.Sprint("sb", sb), URL: fmt.Sprint(w, "/", i)}
				if err := db.AppendExchange(ctx, ex); err != nil {
					errc <- err
					return
				}
				mu.Lock()
				if seen[sb][ex.Seq] {
					errc <- fmt.Errorf("seq %d handed out twice", ex.Seq)
				}
				seen[sb][ex.Seq] = true
				mu.Unlock()
				if i%10 == 0 {
					if err := db.SaveWorld(ctx, ex.SandboxID, []byte(ex.URL)); err != nil {
						errc <- err
					}
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := db.Exchanges(ctx, fmt.Sprint("sb", r%sandboxes), 0)
				if err != nil {
					errc <- err
					return
				}
				if len(got) > limit {
					errc <- fmt.Errorf("read %d exchanges, limit %d", len(got), limit)
				}
				for i := 1; i < len(got); i++ {
					if got[i].Seq != got[i-1].Seq+1 {
						errc <- fmt.Errorf("read not dense/ordered: %d after %d", got[i].Seq, got[i-1].Seq)
						break
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	per := writers / sandboxes * perWriter
	for i := range sandboxes {
		got, err := db.Exchanges(ctx, fmt.Sprint("sb", i), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != limit || got[0].Seq != int64(per-limit+1) || got[len(got)-1].Seq != int64(per) {
			t.Errorf("sb%d: %d exchanges, seq %d..%d; want %d..%d", i, len(got), got[0].Seq, got[len(got)-1].Seq, per-limit+1, per)
		}
		if len(seen[i]) != per {
			t.Errorf("sb%d: %d distinct seqs handed out, want %d", i, len(seen[i]), per)
		}
	}
}
