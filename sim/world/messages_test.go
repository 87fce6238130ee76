package world_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// logPersister keeps what the world queued: whole states and change records.
type logPersister struct {
	mu      sync.Mutex
	state   []byte
	seq     int64 // the stored state's
	changes []stored
}

type stored struct {
	seq  int64
	data []byte
}

func (p *logPersister) QueueWorld(_ string, data []byte, seq int64) func() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state, p.seq = append([]byte(nil), data...), seq
	kept := p.changes[:0]
	for _, c := range p.changes {
		if c.seq > seq {
			kept = append(kept, c)
		}
	}
	p.changes = kept
	return func() error { return nil }
}

func (p *logPersister) QueueChange(_ string, seq int64, data []byte) func() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes = append(p.changes, stored{seq, append([]byte(nil), data...)})
	return func() error { return nil }
}

// restore is what a restart does with the stored state and records.
func (p *logPersister) restore(t *testing.T) *world.World {
	t.Helper()
	var recs [][]byte
	last := p.seq
	for _, c := range p.changes {
		recs = append(recs, c.data)
		last = c.seq
	}
	w, err := world.NewRegistry(nil, nil).Restore(p.state, recs, last)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// messages are the queue's messages as stored (JSON: times compare by
// instant, not by location).
func messages(w *world.World) []string {
	var out []string
	w.View(func(s *world.State) {
		for _, m := range s.StorageAccount("acct").Queues["q"].Messages {
			b, _ := json.Marshal(m)
			out = append(out, string(b))
		}
	})
	return out
}

// Queue operations store change records, not the world; replaying them on
// the stored world gives the live messages, in order.
func TestUpdateMessagesStoresChangeRecords(t *testing.T) {
	ctx := context.Background()
	p := &logPersister{}
	reg := world.NewRegistry(fixedClock{time.Unix(1_700_000_000, 0)}, p)
	st := newState("a")
	w, err := reg.Add(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Update(ctx, func(tx *world.Tx) error {
		tx.State.StorageAccounts["acct"] = &world.StorageAccount{Name: "Acct", Queues: map[string]*world.Queue{"q": {Name: "q"}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	put := func(id, text string) {
		t.Helper()
		if err := w.UpdateMessages(ctx, "ACCT", "q", func(tx *world.MessagesTx) error {
			q := tx.State.StorageAccount("acct").Queues["q"]
			m := &world.Message{ID: id, Text: text, InsertionTime: tx.Now}
			q.Messages = append(q.Messages, m)
			tx.Put(m)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("m1", "one")
	put("m2", "two")
	put("m3", "three")
	saves := p.seq
	// Change one, delete another, and a read that changes nothing.
	if err := w.UpdateMessages(ctx, "acct", "q", func(tx *world.MessagesTx) error {
		q := tx.State.StorageAccount("acct").Queues["q"]
		q.Messages[2].DequeueCount++
		q.Messages[2].PopReceipt = "r"
		tx.Put(q.Messages[2])
		tx.Delete(q.Messages[0].ID)
		q.Messages = q.Messages[1:]
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.UpdateMessages(ctx, "acct", "q", func(*world.MessagesTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if p.seq != saves || len(p.changes) != 4 {
		t.Fatalf("state saved at %d (was %d), %d change records; want no state save and 4 records", p.seq, saves, len(p.changes))
	}
	var rec map[string]any
	if err := json.Unmarshal(p.changes[3].data, &rec); err != nil || rec["delete"] == nil || rec["put"] == nil {
		t.Errorf("record = %s (%v)", p.changes[3].data, err)
	}
	want := messages(w)
	if got := messages(p.restore(t)); !reflect.DeepEqual(got, want) {
		t.Errorf("restored messages = %+v\nwant %+v", got, want)
	}
	// Clear, then a world change: the stored state includes every record.
	if err := w.UpdateMessages(ctx, "acct", "q", func(tx *world.MessagesTx) error {
		tx.State.StorageAccount("acct").Queues["q"].Messages = nil
		tx.Clear()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	put("m4", "four")
	if got := messages(p.restore(t)); len(got) != 1 || !strings.Contains(got[0], `"id":"m4"`) {
		t.Errorf("after clear and put, restored %+v", got)
	}
	if err := w.Update(ctx, func(tx *world.Tx) error { tx.State.Location = "westus"; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(p.changes) != 0 {
		t.Errorf("%d change records left after a state save", len(p.changes))
	}
	if got := messages(p.restore(t)); len(got) != 1 || !strings.Contains(got[0], `"id":"m4"`) {
		t.Errorf("after a state save, restored %+v", got)
	}
}

// After enough change records the next change stores the whole state, so a
// restart never replays an unbounded log.
func TestUpdateMessagesCompacts(t *testing.T) {
	ctx := context.Background()
	p := &logPersister{}
	reg := world.NewRegistry(nil, p)
	st := newState("a")
	st.StorageAccounts = map[string]*world.StorageAccount{"acct": {Name: "acct", Queues: map[string]*world.Queue{"q": {Name: "q"}}}}
	w, err := reg.Add(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Save(ctx, w); err != nil {
		t.Fatal(err)
	}
	most := 0
	for i := range 2500 {
		if err := w.UpdateMessages(ctx, "acct", "q", func(tx *world.MessagesTx) error {
			q := tx.State.StorageAccount("acct").Queues["q"]
			m := &world.Message{ID: world.NewGUID(), Text: string(rune('a' + i%26))}
			q.Messages = append(q.Messages, m)
			tx.Put(m)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		most = max(most, len(p.changes))
	}
	if most > 1000 || most < 900 {
		t.Errorf("at most %d change records on top of a state, want about 1000", most)
	}
	if got := messages(p.restore(t)); !reflect.DeepEqual(got, messages(w)) || len(got) != 2500 {
		t.Errorf("restored %d messages, want the 2500 live ones", len(got))
	}
}

// A record for a queue that is gone is skipped; a broken one is an error.
func TestApplyChange(t *testing.T) {
	st := newState("a")
	st.StorageAccounts = map[string]*world.StorageAccount{"acct": {Name: "acct", Queues: map[string]*world.Queue{}}}
	if err := world.ApplyChange(st, []byte(`{"account":"acct","queue":"gone","put":[{"id":"m"}]}`)); err != nil {
		t.Errorf("record of a deleted queue: %v", err)
	}
	if err := world.ApplyChange(st, []byte(`{"account":"other","queue":"q","delete":["m"]}`)); err != nil {
		t.Errorf("record of a deleted account: %v", err)
	}
	if err := world.ApplyChange(st, []byte(`{not json`)); err == nil {
		t.Error("broken record applied")
	}
}
