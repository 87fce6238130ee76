package trace

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
)

type memSink struct {
	mu  sync.Mutex
	got []Exchange
	err error
}

func (s *memSink) QueueExchange(ex *Exchange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, *ex)
	return s.err
}

func (s *memSink) Flush(context.Context) error { return nil }

func seqs(exs []Exchange) []int64 {
	out := make([]int64, len(exs))
	for i, ex := range exs {
		out[i] = ex.Seq
	}
	return out
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBookRingAndSeq(t *testing.T) {
	sink := &memSink{}
	b := NewBook(3, sink)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := b.Record(ctx, &Exchange{SandboxID: "a", Method: "GET"}); err != nil {
			t.Fatal(err)
		}
	}
	b.Record(ctx, &Exchange{SandboxID: "b"})
	b.Record(ctx, &Exchange{}) // no sandbox: dropped

	tests := []struct {
		name  string
		id    string
		after int64
		want  []int64
	}{
		{"oldest dropped", "a", 0, []int64{3, 4, 5}},
		{"after seq", "a", 4, []int64{5}},
		{"after all", "a", 5, []int64{}},
		{"own sequence per sandbox", "b", 0, []int64{1}},
		{"unknown sandbox", "zzz", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := b.List(tc.id, tc.after)
			if !equal(seqs(got), tc.want) {
				t.Errorf("List = %v, want %v", seqs(got), tc.want)
			}
			// A step's few new exchanges come in a slice of their size, not
			// one the size of the ring.
			if cap(got) != len(got) {
				t.Errorf("List: cap %d for %d exchanges", cap(got), len(got))
			}
		})
	}
	if got := b.LastSeq("a"); got != 5 {
		t.Errorf("LastSeq(a) = %d, want 5", got)
	}
	if got := b.LastSeq("zzz"); got != 0 {
		t.Errorf("LastSeq(zzz) = %d, want 0", got)
	}
	if len(sink.got) != 6 {
		t.Errorf("sink got %d exchanges, want 6", len(sink.got))
	}
}

func TestBookMasksBeforeKeepingAndSink(t *testing.T) {
	sink := &memSink{}
	b := NewBook(0, sink)
	b.Record(context.Background(), &Exchange{
		SandboxID: "a", RequestHeaders: http.Header{"Authorization": {"Bearer " + tokenValue}},
	})
	for _, ex := range []Exchange{b.List("a", 0)[0], sink.got[0]} {
		if v := ex.RequestHeaders.Get("Authorization"); strings.Contains(v, tokenValue) {
			t.Errorf("kept unmasked Authorization %q", v)
		}
	}
}

// Record masks a copy of the caller's headers and leaves the caller's maps
// alone; RecordOwned masks the maps it is given in place. Both keep and
// store the same masked exchange, for every masking case.
func TestBookRecordOwnedMasksTheSameInPlace(t *testing.T) {
	for _, c := range maskCases() {
		t.Run(c.name, func(t *testing.T) {
			want := c.ex
			Mask(&want)
			for _, owned := range []bool{false, true} {
				sink := &memSink{}
				b := NewBook(0, sink)
				ex := c.ex
				ex.SandboxID = "a"
				ex.RequestHeaders, ex.ResponseHeaders = ex.RequestHeaders.Clone(), ex.ResponseHeaders.Clone()
				reqBefore := dump(t, Exchange{RequestHeaders: ex.RequestHeaders, ResponseHeaders: ex.ResponseHeaders})
				given := ex
				record := b.Record
				if owned {
					record = b.RecordOwned
				}
				if err := record(context.Background(), &ex); err != nil {
					t.Fatal(err)
				}
				for _, got := range []Exchange{b.List("a", 0)[0], sink.got[0]} {
					got.SandboxID, got.Seq = "", 0
					if dump(t, got) != dump(t, want) {
						t.Errorf("owned=%v: kept\n%s\nwant\n%s", owned, dump(t, got), dump(t, want))
					}
				}
				after := dump(t, Exchange{RequestHeaders: given.RequestHeaders, ResponseHeaders: given.ResponseHeaders})
				masked := dump(t, Exchange{RequestHeaders: want.RequestHeaders, ResponseHeaders: want.ResponseHeaders})
				switch {
				case !owned && after != reqBefore:
					t.Errorf("Record changed the caller's headers:\n%s", after)
				case owned && after != masked:
					t.Errorf("RecordOwned did not mask the given maps in place:\n%s", after)
				}
			}
		})
	}
}

func TestBookSinkError(t *testing.T) {
	b := NewBook(0, &memSink{err: errors.New("disk full")})
	err := b.Record(context.Background(), &Exchange{SandboxID: "a"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if len(b.List("a", 0)) != 1 {
		t.Errorf("exchange not kept in memory")
	}
}

func TestBookSubscribe(t *testing.T) {
	b := NewBook(0, nil)
	ctx := context.Background()
	ch, cancel := b.Subscribe("a")
	other, cancelOther := b.Subscribe("b")
	defer cancelOther()

	b.Record(ctx, &Exchange{SandboxID: "a", Method: "GET"})
	if ex := <-ch; ex.Seq != 1 || ex.Method != "GET" {
		t.Errorf("got %+v", ex)
	}
	select {
	case ex := <-other:
		t.Errorf("sandbox b received a's exchange %+v", ex)
	default:
	}

	// A subscriber that never reads does not block Record.
	for i := 0; i < subscriberBuffer*3; i++ {
		b.Record(ctx, &Exchange{SandboxID: "a"})
	}
	if n := len(ch); n != subscriberBuffer {
		t.Errorf("buffered %d, want %d", n, subscriberBuffer)
	}
	cancel()
	cancel() // idempotent
	for range ch {
	}
}

func TestBookLoadAndDrop(t *testing.T) {
	b := NewBook(2, nil)
	b.Load("a", []Exchange{{Seq: 7}, {Seq: 8}, {Seq: 9}})
	if got := seqs(b.List("a", 0)); !equal(got, []int64{8, 9}) {
		t.Errorf("after Load: %v", got)
	}
	ex := &Exchange{SandboxID: "a"}
	b.Record(context.Background(), ex)
	if ex.Seq != 10 {
		t.Errorf("Seq after Load = %d, want 10", ex.Seq)
	}
	ch, _ := b.Subscribe("a")
	b.Drop("a")
	if _, ok := <-ch; ok {
		t.Errorf("subscription not closed by Drop")
	}
	if got := b.List("a", 0); got != nil {
		t.Errorf("after Drop: %v", seqs(got))
	}
}

func TestBookConcurrent(t *testing.T) {
	b := NewBook(1000, &memSink{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, cancel := b.Subscribe("a")
			defer cancel()
			for i := 0; i < 100; i++ {
				b.Record(context.Background(), &Exchange{SandboxID: "a"})
				b.List("a", int64(i))
				select {
				case <-ch:
				default:
				}
			}
		}()
	}
	wg.Wait()
	got := seqs(b.List("a", 0))
	if len(got) != 800 {
		t.Fatalf("kept %d", len(got))
	}
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("seq[%d] = %d", i, s)
		}
	}
}

func BenchmarkBookRecord(b *testing.B) {
	book := NewBook(0, nil)
	ctx := context.Background()
	for b.Loop() {
		book.Record(ctx, &Exchange{
			SandboxID:       "a",
			URL:             "https://kv.vault.azure.net/secrets/s/?api-version=2026-04-01",
			RequestHeaders:  http.Header{"Authorization": {"Bearer " + tokenValue}},
			ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
			ResponseBody:    `{"value":"secret","id":"x"}`,
			Service:         "keyvault",
		})
	}
}
