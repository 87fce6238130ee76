package queue

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// capture keeps the last request the SDK sent for each method.
type capture struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs map[string]capturedRequest
}

type capturedRequest struct {
	method, url string
	header      http.Header
	body        []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if strings.Contains(r.URL.Host, ".queue.") {
		c.mu.Lock()
		c.reqs[r.Method] = capturedRequest{r.Method, r.URL.String(), r.Header.Clone(), body}
		c.mu.Unlock()
	}
	return c.next.RoundTrip(r)
}

// replay is the response writer of BenchmarkServeMessages, one per
// request: the status checked, the body kept for the message ID and pop
// receipt the delete needs.
type replay struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *replay) Header() http.Header         { return w.h }
func (w *replay) WriteHeader(s int)           { w.status = s }
func (w *replay) Write(p []byte) (int, error) { return w.body.Write(p) }

// between returns the text of s between the first start and the end after it.
func between(s, start, end string) string {
	_, s, _ = strings.Cut(s, start)
	s, _, _ = strings.Cut(s, end)
	return s
}

// BenchmarkServeMessages is the service alone (no client, no transport):
// an enqueue, a dequeue and a delete as the azqueue SDK sends them (the
// requests captured from it, bearer token and all), served one after the
// other. The server's share of BenchmarkEnqueueDequeue, with its allocations.
func BenchmarkServeMessages(b *testing.B) {
	f := newFixture(b)
	f.grant(rbac.RoleStorageQueueDataContributor)
	cp := &capture{next: f.http.Transport, reqs: map[string]capturedRequest{}}
	f.http.Transport = cp
	qc := f.queueClient(scenario.QueueName)
	ctx := context.Background()
	enqueueDequeueDelete(b, ctx, qc)
	enq, deq, del := cp.reqs[http.MethodPost], cp.reqs[http.MethodGet], cp.reqs[http.MethodDelete]
	delBase := del.url[:strings.LastIndex(del.url, "/")+1] // .../{queue}/messages/
	serve := func(c capturedRequest, target string, want int) *replay {
		r, err := http.NewRequestWithContext(trace.WithNotes(ctx, &trace.Notes{}), c.method, target, bytes.NewReader(c.body))
		if err != nil {
			b.Fatal(err)
		}
		for k, v := range c.header {
			r.Header[http.CanonicalHeaderKey(k)] = v // as a network server reads them
		}
		w := &replay{h: http.Header{}}
		f.svc.ServeHTTP(w, r)
		if w.status != want {
			b.Fatalf("%s %s: %d %s", c.method, target, w.status, w.body.String())
		}
		return w
	}
	b.ReportAllocs()
	for b.Loop() {
		serve(enq, enq.url, http.StatusCreated)
		got := serve(deq, deq.url, http.StatusOK).body.String()
		id, receipt := between(got, "<MessageId>", "<"), between(got, "<PopReceipt>", "<")
		serve(del, delBase+id+"?popreceipt="+url.QueryEscape(receipt), http.StatusNoContent)
	}
}
