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

// TestPurgeExpiredKnowsItsFloor: PurgeExpired may skip its scan only while
// no message can have expired; a message added or restored with an earlier
// expiry must still be purged on time, and the others keep their order.
func TestPurgeExpiredKnowsItsFloor(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	msg := func(id string, ttl time.Duration) *world.Message {
		return &world.Message{ID: id, InsertionTime: t0, ExpirationTime: t0.Add(ttl)}
	}
	ids := func(q *world.Queue) string {
		var s []string
		for _, m := range q.Messages {
			s = append(s, m.ID)
		}
		return strings.Join(s, ",")
	}
	purge := func(q *world.Queue, at time.Duration) string {
		var gone []string
		q.PurgeExpired(t0.Add(at), func(id string) { gone = append(gone, id) })
		return strings.Join(gone, ",")
	}

	q := &world.Queue{Name: "q"}
	q.Add(msg("a", time.Hour))
	q.Add(msg("b", 2*time.Hour))
	if g := purge(q, time.Minute); g != "" || ids(q) != "a,b" {
		t.Fatalf("nothing expired: gone %q, left %q", g, ids(q))
	}
	// Known floor now (a's expiry); c expires before it.
	q.Add(msg("c", 10*time.Minute))
	q.Add(msg("d", 3*time.Hour))
	if g := purge(q, 10*time.Minute); g != "c" || ids(q) != "a,b,d" {
		t.Fatalf("c added below the floor: gone %q, left %q", g, ids(q))
	}
	if g := purge(q, 2*time.Hour); g != "a,b" || ids(q) != "d" {
		t.Fatalf("at 2h: gone %q, left %q", g, ids(q))
	}
	// A message replaced behind the queue's back (a restored change record
	// does that) counts only after Reset.
	q.Messages = append(q.Messages, msg("e", 5*time.Minute))
	q.Reset()
	if g := purge(q, 5*time.Minute); g != "e" || ids(q) != "d" {
		t.Fatalf("after Reset: gone %q, left %q", g, ids(q))
	}
	// Emptied, then added to.
	if g := purge(q, 3*time.Hour); g != "d" || ids(q) != "" {
		t.Fatalf("at 3h: gone %q, left %q", g, ids(q))
	}
	q.Add(msg("f", 4*time.Hour))
	if g := purge(q, 4*time.Hour); g != "f" || len(q.Messages) != 0 {
		t.Fatalf("added to an empty queue: gone %q, left %q", g, ids(q))
	}
}

// TestRemoveAtKeepsOrder: removing the first, a middle and the last message.
func TestRemoveAtKeepsOrder(t *testing.T) {
	q := &world.Queue{}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		q.Add(&world.Message{ID: id, ExpirationTime: time.Now().Add(time.Hour)})
	}
	for _, c := range []struct {
		i    int
		want string
	}{{0, "b,c,d,e"}, {1, "b,d,e"}, {2, "b,d"}, {0, "d"}, {0, ""}} {
		q.RemoveAt(c.i)
		var s []string
		for _, m := range q.Messages {
			s = append(s, m.ID)
		}
		if got := strings.Join(s, ","); got != c.want {
			t.Fatalf("RemoveAt(%d): %q, want %q", c.i, got, c.want)
		}
	}
	q.Add(&world.Message{ID: "z", ExpirationTime: time.Now().Add(time.Hour)})
	if len(q.Messages) != 1 || q.Messages[0].ID != "z" {
		t.Fatalf("add after removing all: %v", q.Messages)
	}
}

// TestApplyChangeForgetsTheFloor: a replayed record may put a message that
// expires before what the queue knew of; it is purged on time.
func TestApplyChangeForgetsTheFloor(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := &world.Queue{Name: "q"}
	st := &world.State{StorageAccounts: map[string]*world.StorageAccount{
		"acct": {Name: "acct", Queues: map[string]*world.Queue{"q": q}}}}
	q.Add(&world.Message{ID: "a", ExpirationTime: t0.Add(time.Hour)})
	q.PurgeExpired(t0, func(string) {}) // the floor is now a's expiry
	rec, _ := json.Marshal(map[string]any{"account": "acct", "queue": "q",
		"put": []world.Message{{ID: "b", ExpirationTime: t0.Add(time.Minute)}}})
	if err := world.ApplyChange(st, rec); err != nil {
		t.Fatal(err)
	}
	var gone []string
	q.PurgeExpired(t0.Add(time.Minute), func(id string) { gone = append(gone, id) })
	if len(gone) != 1 || gone[0] != "b" || len(q.Messages) != 1 || q.Messages[0].ID != "a" {
		t.Fatalf("gone %v, left %d", gone, len(q.Messages))
	}
}
