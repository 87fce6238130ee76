package queue

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// listQueues answers GET /?comp=list.
func (c *call) listQueues() *storageError {
	q := c.query()
	maxResults, e := intParam(q, "maxresults", maxListResults, 1, maxListResults)
	if e != nil {
		return e
	}
	withMeta := false
	if inc := q.Get("include"); inc != "" {
		for _, v := range strings.Split(inc, ",") {
			if v != "metadata" {
				return errInvalidQP("include", inc, "")
			}
			withMeta = true
		}
	}
	prefix, marker := q.Get("prefix"), q.Get("marker")
	start := ""
	if marker != "" {
		var ok bool
		if start, ok = strings.CutPrefix(marker, "/"+c.account+"/"); !ok {
			return errInvalidQP("marker", marker, "")
		}
	}
	type item struct {
		name string
		md   map[string]string
	}
	var items []item
	c.w.View(func(st *world.State) {
		a := st.StorageAccount(c.account)
		if a == nil {
			return
		}
		for _, qu := range a.Queues {
			if strings.HasPrefix(qu.Name, prefix) && qu.Name >= start {
				items = append(items, item{qu.Name, copyMap(qu.Metadata)})
			}
		}
	})
	sort.Slice(items, func(i, j int) bool { return items[i].name < items[j].name })
	next := ""
	if len(items) > int(maxResults) {
		next = "/" + c.account + "/" + items[maxResults].name
		items = items[:maxResults]
	}

	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://` + c.account + service.SuffixQueue + `/">`)
	if _, ok := q["prefix"]; ok {
		b.WriteString("<Prefix>" + escape(prefix) + "</Prefix>")
	}
	if marker != "" {
		b.WriteString("<Marker>" + escape(marker) + "</Marker>")
	}
	if _, ok := q["maxresults"]; ok {
		b.WriteString("<MaxResults>" + strconv.FormatInt(maxResults, 10) + "</MaxResults>")
	}
	if len(items) == 0 {
		b.WriteString("<Queues />")
	} else {
		b.WriteString("<Queues>")
		for _, it := range items {
			b.WriteString("<Queue><Name>" + it.name + "</Name>")
			if withMeta {
				writeMetadataXML(&b, it.md)
			}
			b.WriteString("</Queue>")
		}
		b.WriteString("</Queues>")
	}
	if next == "" {
		b.WriteString("<NextMarker />")
	} else {
		b.WriteString("<NextMarker>" + escape(next) + "</NextMarker>")
	}
	b.WriteString("</EnumerationResults>")
	return c.reply(http.StatusOK, []byte(b.String()))
}

func writeMetadataXML(b *strings.Builder, md map[string]string) {
	if len(md) == 0 {
		b.WriteString("<Metadata />")
		return
	}
	b.WriteString("<Metadata>")
	for _, k := range sortedNames(md) {
		b.WriteString("<" + k + ">" + escape(md[k]) + "</" + k + ">")
	}
	b.WriteString("</Metadata>")
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// createQueue answers PUT /{queue}: 201, or 204 when it exists with the same
// metadata, or 409 when the metadata differs.
func (c *call) createQueue() *storageError {
	md, e := parseMetadata(c.r.Header)
	if e != nil {
		return e
	}
	status := http.StatusCreated
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		a := tx.State.StorageAccount(c.account)
		if a == nil {
			return errAbort{errQueueNotFound()}
		}
		if qu, ok := a.Queues[c.queue]; ok {
			if !sameMetadata(qu.Metadata, md) {
				return errAbort{newError(http.StatusConflict, "QueueAlreadyExists", msgQueueExists)}
			}
			status = http.StatusNoContent
			return nil
		}
		a.Queues[c.queue] = &world.Queue{Name: c.queue, Metadata: md, Messages: []*world.Message{}}
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	return c.reply(status, nil)
}

// deleteQueue answers DELETE /{queue}.
func (c *call) deleteQueue() *storageError {
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if _, e := c.queueIn(tx.State); e != nil {
			return errAbort{e}
		}
		a := tx.State.StorageAccount(c.account)
		delete(a.Queues, c.queue)
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	return c.reply(http.StatusNoContent, nil)
}

// getMetadata answers GET|HEAD /{queue}?comp=metadata.
func (c *call) getMetadata() *storageError {
	var md map[string]string
	count, found := 0, false
	c.w.View(func(st *world.State) {
		qu, e := c.queueIn(st)
		if e != nil {
			return
		}
		found = true
		md = copyMap(qu.Metadata)
		for _, m := range qu.Messages {
			if alive(m, c.now) {
				count++
			}
		}
	})
	if !found {
		return errQueueNotFound()
	}
	h := c.rw.Header()
	h.Set("x-ms-approximate-messages-count", itoa(count))
	for _, k := range sortedNames(md) {
		h.Set(metaPrefix+k, md[k])
	}
	h.Set("Cache-Control", "no-cache")
	return c.reply(http.StatusOK, nil)
}

// setMetadata answers PUT /{queue}?comp=metadata: the metadata is replaced.
func (c *call) setMetadata() *storageError {
	md, e := parseMetadata(c.r.Header)
	if e != nil {
		return e
	}
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		qu, e := c.queueIn(tx.State)
		if e != nil {
			return errAbort{e}
		}
		qu.Metadata = md
		return nil
	})
	if err != nil {
		return asStorage(err)
	}
	return c.reply(http.StatusNoContent, nil)
}

// alive reports whether m has not expired at now.
func alive(m *world.Message, now time.Time) bool { return now.Before(m.ExpirationTime) }
