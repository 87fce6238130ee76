package world

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// compactEvery bounds the change records on top of a stored state: the next
// change after that many stores the whole state instead, so a restart
// replays at most this many records per world.
const compactEvery = 1000

// MessagesTx is a change to the messages of one queue. It is persisted as a
// record of what changed (the messages put, the IDs deleted), so a queue
// operation costs what the change is, not what the world is. The handler
// mutates the queue in State and reports each change with Put, Delete or
// Clear; nothing else in State may change.
type MessagesTx struct {
	State *State
	Now   time.Time
	rec   change
}

// change is one stored change record. Replay applies Clear, then Delete,
// then Put; a record's deleted and put IDs are disjoint.
type change struct {
	Account string    `json:"account"`
	Queue   string    `json:"queue"`
	Clear   bool      `json:"clear,omitempty"`
	Delete  []string  `json:"delete,omitempty"`
	Put     []Message `json:"put,omitempty"` // new (appended) or changed (in place)
}

// Add appends m to q's messages.
func (q *Queue) Add(m *Message) {
	q.Messages = append(q.Messages, m)
	if m.ExpirationTime.Before(q.expiryFloor) {
		q.expiryFloor = m.ExpirationTime
	}
}

// Reset forgets what q knows of its messages' expiry: the next
// PurgeExpired looks at each one.
func (q *Queue) Reset() { q.expiryFloor = time.Time{} }

// PurgeExpired drops the messages expired at now, keeping the others in
// order, and calls gone with each dropped message's ID. A queue is purged on
// every enqueue and dequeue; it looks at each message only when one can
// have expired since it last did.
func (q *Queue) PurgeExpired(now time.Time, gone func(id string)) {
	if now.Before(q.expiryFloor) {
		return
	}
	floor := time.Unix(1<<62, 0) // later than any expiration time
	out := q.Messages[:0]
	for _, m := range q.Messages {
		if !now.Before(m.ExpirationTime) {
			gone(m.ID)
			continue
		}
		out = append(out, m)
		if m.ExpirationTime.Before(floor) {
			floor = m.ExpirationTime
		}
	}
	clear(q.Messages[len(out):])
	q.Messages = out
	q.expiryFloor = floor
}

// RemoveAt drops the i-th message, keeping the others in order.
func (q *Queue) RemoveAt(i int) {
	if i == 0 {
		// The usual case (a FIFO consumer): no copy.
		q.Messages[0] = nil
		q.Messages = q.Messages[1:]
		return
	}
	q.Messages = slices.Delete(q.Messages, i, i+1)
}

// Put records m as it is now: a new message (stored after the others) or a
// changed one. Call it after the change.
func (tx *MessagesTx) Put(m *Message) { tx.rec.Put = append(tx.rec.Put, *m) }

// Delete records that the message with id left the queue.
func (tx *MessagesTx) Delete(id string) { tx.rec.Delete = append(tx.rec.Delete, id) }

// Clear records that every message left the queue.
func (tx *MessagesTx) Clear() { tx.rec.Clear, tx.rec.Delete, tx.rec.Put = true, nil, nil }

// UpdateMessages runs fn under the write lock and, when it returns nil and
// reported a change, persists the change record before returning. account
// is the storage account's name, queue the queue's
// name. Like Update, fn must validate before it mutates.
func (w *World) UpdateMessages(_ context.Context, account, queue string, fn func(tx *MessagesTx) error) error {
	wait, err := w.updateMessages(account, queue, fn)
	if err != nil {
		return err
	}
	return wait()
}

func (w *World) updateMessages(account, queue string, fn func(tx *MessagesTx) error) (func() error, error) {
	now := w.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.retired {
		return nil, ErrRetired
	}
	tx := &MessagesTx{State: w.st, Now: now, rec: change{Account: account, Queue: queue}}
	if err := fn(tx); err != nil {
		return nil, err
	}
	if w.reg.persist == nil || (!tx.rec.Clear && len(tx.rec.Delete) == 0 && len(tx.rec.Put) == 0) {
		return noWait, nil
	}
	if w.changes >= compactEvery {
		return w.queueStateLocked()
	}
	data, err := json.Marshal(&tx.rec)
	if err != nil {
		return nil, fmt.Errorf("world: marshal change: %w", err)
	}
	w.changes++
	return persistErr(w.reg.persist.QueueChange(w.st.ID, w.reg.seq.Add(1), data)), nil
}

// ApplyChange replays a stored change record on a state (at restore, in
// sequence order, on the state stored before it). A record for a queue that
// no longer exists is skipped.
func ApplyChange(st *State, data []byte) error {
	var c change
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("world: apply change: %w", err)
	}
	a := st.StorageAccount(c.Account)
	if a == nil || a.Queues[c.Queue] == nil {
		return nil
	}
	q := a.Queues[c.Queue]
	q.Reset()
	if c.Clear {
		q.Messages = []*Message{}
	}
	for _, id := range c.Delete {
		for i, m := range q.Messages {
			if m.ID == id {
				q.Messages = append(q.Messages[:i:i], q.Messages[i+1:]...)
				break
			}
		}
	}
put:
	for i := range c.Put {
		m := c.Put[i]
		for j, old := range q.Messages {
			if old.ID == m.ID {
				q.Messages[j] = &m
				continue put
			}
		}
		q.Messages = append(q.Messages, &m)
	}
	return nil
}

// Restore registers a stored world: its state with the change records
// stored after it (in sequence order) applied, continuing the registry's
// persist sequence after seq, the highest number among them.
func (r *Registry) Restore(state []byte, changes [][]byte, seq int64) (*World, error) {
	st, err := Load(state)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if err := ApplyChange(st, c); err != nil {
			return nil, err
		}
	}
	w, err := r.Add(st)
	if err != nil {
		return nil, err
	}
	w.changes = len(changes)
	r.ContinueAfter(seq)
	return w, nil
}
