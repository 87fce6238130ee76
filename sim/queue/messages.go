package queue

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// neverExpires is the ExpirationTime Azure reports for messagettl=-1.
var neverExpires = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// putMessage answers POST /{queue}/messages.
func (c *call) putMessage() *storageError {
	q := c.query()
	ttl, e := intParam(q, "messagettl", defaultTTL, -1, 1<<31-1)
	if e != nil {
		return e
	}
	if ttl == 0 {
		return errOutOfRangeQP("messagettl", q.Get("messagettl"), -1, 1<<31-1)
	}
	maxVis := int64(maxVisibility)
	if ttl > 0 && ttl-1 < maxVis {
		maxVis = ttl - 1 // the message must become visible before it expires
	}
	vis, e := intParam(q, "visibilitytimeout", 0, 0, maxVis)
	if e != nil {
		return e
	}
	body, e := readBody(c.r)
	if e != nil {
		return e
	}
	text, e := parseMessage(body)
	if e != nil {
		return e
	}
	now := c.now.UTC().Truncate(time.Second)
	m := &world.Message{
		ID:              c.s.newID(),
		Text:            text,
		InsertionTime:   now,
		ExpirationTime:  neverExpires,
		PopReceipt:      c.s.newReceipt(),
		TimeNextVisible: now.Add(time.Duration(vis) * time.Second),
	}
	if ttl > 0 {
		m.ExpirationTime = now.Add(time.Duration(ttl) * time.Second)
	}
	err := c.updateMessages(func(tx *world.MessagesTx) error {
		qu, e := c.queueIn(tx.State)
		if e != nil {
			return errAbort{e}
		}
		qu.PurgeExpired(c.now, tx.Delete)
		if e := c.s.limits.check(tx.State, qu, len(m.Text), 1); e != nil {
			return errAbort{e}
		}
		qu.Add(m)
		tx.Put(m)
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage>`)
	writeIdentity(&b, m)
	b.WriteString("<PopReceipt>" + escape(m.PopReceipt) + "</PopReceipt>")
	b.WriteString("<TimeNextVisible>" + httpTime(m.TimeNextVisible) + "</TimeNextVisible>")
	b.WriteString("</QueueMessage></QueueMessagesList>")
	return c.reply(http.StatusCreated, []byte(b.String()))
}

// getMessages answers GET /{queue}/messages: up to numofmessages visible
// messages become invisible for visibilitytimeout seconds, each with a new
// pop receipt and a higher dequeue count.
func (c *call) getMessages() *storageError {
	q := c.query()
	n, e := intParam(q, "numofmessages", 1, 1, maxBatch)
	if e != nil {
		return e
	}
	vis, e := intParam(q, "visibilitytimeout", 30, 1, maxVisibility)
	if e != nil {
		return e
	}
	now := c.now.UTC().Truncate(time.Second)
	var got []world.Message
	err := c.updateMessages(func(tx *world.MessagesTx) error {
		qu, e := c.queueIn(tx.State)
		if e != nil {
			return errAbort{e}
		}
		qu.PurgeExpired(c.now, tx.Delete)
		for _, m := range qu.Messages {
			if len(got) == int(n) {
				break
			}
			if m.TimeNextVisible.After(c.now) {
				continue
			}
			m.DequeueCount++
			m.PopReceipt = c.s.newReceipt()
			m.TimeNextVisible = now.Add(time.Duration(vis) * time.Second)
			tx.Put(m)
			got = append(got, *m)
		}
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	return c.reply(http.StatusOK, messagesXML(got, false))
}

// peekMessages answers GET /{queue}/messages?peekonly=true: visible messages,
// unchanged.
func (c *call) peekMessages() *storageError {
	n, e := intParam(c.query(), "numofmessages", 1, 1, maxBatch)
	if e != nil {
		return e
	}
	var got []world.Message
	c.w.View(func(st *world.State) {
		var qu *world.Queue
		if qu, e = c.queueIn(st); e != nil {
			return
		}
		for _, m := range qu.Messages {
			if len(got) == int(n) {
				break
			}
			if alive(m, c.now) && !m.TimeNextVisible.After(c.now) {
				got = append(got, *m)
			}
		}
	})
	if e != nil {
		return e
	}
	return c.reply(http.StatusOK, messagesXML(got, true))
}

// deleteMessage answers DELETE /{queue}/messages/{id}?popreceipt=.
func (c *call) deleteMessage() *storageError {
	receipt, ok := c.query()["popreceipt"]
	if !ok || receipt[0] == "" {
		return errMissingQP("popreceipt")
	}
	err := c.updateMessages(func(tx *world.MessagesTx) error {
		qu, i, e := c.messageIn(tx.State, receipt[0])
		if e != nil {
			return errAbort{e}
		}
		tx.Delete(qu.Messages[i].ID)
		qu.RemoveAt(i)
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	return c.reply(http.StatusNoContent, nil)
}

// updateMessage answers PUT /{queue}/messages/{id}?popreceipt=&visibilitytimeout=
// with an optional new text.
func (c *call) updateMessage() *storageError {
	q := c.query()
	receipt, ok := q["popreceipt"]
	if !ok || receipt[0] == "" {
		return errMissingQP("popreceipt")
	}
	if _, ok := q["visibilitytimeout"]; !ok {
		return errMissingQP("visibilitytimeout")
	}
	vis, e := intParam(q, "visibilitytimeout", 0, 0, maxVisibility)
	if e != nil {
		return e
	}
	body, e := readBody(c.r)
	if e != nil {
		return e
	}
	var text *string
	if len(strings.TrimSpace(string(body))) > 0 {
		t, e := parseMessage(body)
		if e != nil {
			return e
		}
		text = &t
	}
	now := c.now.UTC().Truncate(time.Second)
	var upd world.Message
	err := c.updateMessages(func(tx *world.MessagesTx) error {
		qu, i, e := c.messageIn(tx.State, receipt[0])
		if e != nil {
			return errAbort{e}
		}
		m := qu.Messages[i]
		if next := now.Add(time.Duration(vis) * time.Second); next.After(m.ExpirationTime) {
			return errAbort{errOutOfRangeQP("visibilitytimeout", q.Get("visibilitytimeout"), 0,
				int64(m.ExpirationTime.Sub(now)/time.Second))}
		}
		if text != nil {
			if e := c.s.limits.check(tx.State, qu, len(*text)-len(m.Text), 0); e != nil {
				return errAbort{e}
			}
			m.Text = *text
		}
		m.PopReceipt = c.s.newReceipt()
		m.TimeNextVisible = now.Add(time.Duration(vis) * time.Second)
		tx.Put(m)
		upd = *m
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	c.rw.Header().Set("x-ms-popreceipt", upd.PopReceipt)
	c.rw.Header().Set("x-ms-time-next-visible", httpTime(upd.TimeNextVisible))
	return c.reply(http.StatusNoContent, nil)
}

// clearMessages answers DELETE /{queue}/messages.
func (c *call) clearMessages() *storageError {
	err := c.updateMessages(func(tx *world.MessagesTx) error {
		qu, e := c.queueIn(tx.State)
		if e != nil {
			return errAbort{e}
		}
		qu.Messages = []*world.Message{}
		tx.Clear()
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	return c.reply(http.StatusNoContent, nil)
}

// queueIn finds the addressed queue in st.
func (c *call) queueIn(st *world.State) (*world.Queue, *storageError) {
	a := st.StorageAccount(c.account)
	if a == nil {
		return nil, errQueueNotFound()
	}
	qu := a.Queues[c.queue]
	if qu == nil {
		return nil, errQueueNotFound()
	}
	return qu, nil
}

// messageIn finds the addressed live message and checks its pop receipt.
func (c *call) messageIn(st *world.State, receipt string) (*world.Queue, int, *storageError) {
	qu, e := c.queueIn(st)
	if e != nil {
		return nil, 0, e
	}
	for i, m := range qu.Messages {
		if m.ID != c.msgID || !alive(m, c.now) {
			continue
		}
		if m.PopReceipt != receipt {
			return nil, 0, newError(http.StatusBadRequest, "PopReceiptMismatch", msgPopReceipt)
		}
		return qu, i, nil
	}
	return nil, 0, errMessageNotFound()
}

// updateMessages changes the addressed queue's messages only: the store
// keeps a record of the change instead of the whole world.
func (c *call) updateMessages(fn func(tx *world.MessagesTx) error) error {
	return c.w.UpdateMessages(c.r.Context(), c.account, c.queue, fn)
}

func writeIdentity(b *strings.Builder, m *world.Message) {
	b.WriteString("<MessageId>")
	escapeTo(b, m.ID)
	b.WriteString("</MessageId><InsertionTime>")
	writeHTTPTime(b, m.InsertionTime)
	b.WriteString("</InsertionTime><ExpirationTime>")
	writeHTTPTime(b, m.ExpirationTime)
	b.WriteString("</ExpirationTime>")
}

// messagesXML renders Get (with receipt and next-visible time) or Peek
// results.
func messagesXML(ms []world.Message, peek bool) []byte {
	var b strings.Builder
	if len(ms) == 0 {
		return []byte(`<?xml version="1.0" encoding="utf-8"?><QueueMessagesList />`)
	}
	size := 100
	for i := range ms {
		size += 400 + len(ms[i].Text) + len(ms[i].ID) + len(ms[i].PopReceipt)
	}
	b.Grow(size)
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><QueueMessagesList>`)
	for i := range ms {
		m := &ms[i]
		b.WriteString("<QueueMessage>")
		writeIdentity(&b, m)
		if !peek {
			b.WriteString("<PopReceipt>")
			escapeTo(&b, m.PopReceipt)
			b.WriteString("</PopReceipt><TimeNextVisible>")
			writeHTTPTime(&b, m.TimeNextVisible)
			b.WriteString("</TimeNextVisible>")
		}
		b.WriteString("<DequeueCount>")
		var n [20]byte
		b.Write(strconv.AppendInt(n[:0], int64(m.DequeueCount), 10))
		b.WriteString("</DequeueCount><MessageText>")
		escapeTo(&b, m.Text)
		b.WriteString("</MessageText></QueueMessage>")
	}
	b.WriteString("</QueueMessagesList>")
	return []byte(b.String())
}
