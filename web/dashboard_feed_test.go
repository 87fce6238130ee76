package web

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// nextTable reads a dashboard stream up to its next "table" event and
// returns the event's bytes.
func nextTable(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var ev strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("dashboard stream: %v", err)
		}
		if strings.HasPrefix(line, ":") && ev.Len() == 0 {
			continue // keep-alive
		}
		ev.WriteString(line)
		if line == "\n" {
			if strings.HasPrefix(ev.String(), "event: table\n") {
				return ev.String()
			}
			ev.Reset()
		}
	}
}

// Every open dashboard of a workshop gets the same rendering, and a burst
// of learners' steps is one rendering, not one per step and dashboard.
func TestDashboardsShareOneRenderPerBurst(t *testing.T) {
	c := newClassroom(t)
	ann, annURL := c.join(t, "Ann")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const dashboards = 4
	readers := make([]*bufio.Reader, dashboards)
	for i := range readers {
		req, _ := http.NewRequestWithContext(ctx, "GET", c.srv.URL+c.wsURL+"/stream", nil)
		res, err := c.teacher.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		if res.StatusCode != 200 {
			t.Fatalf("dashboard stream %d = %d", i, res.StatusCode)
		}
		readers[i] = bufio.NewReader(res.Body)
		if first := nextTable(t, readers[i]); !strings.Contains(first, `data-name="Ann" data-steps="0"`) {
			t.Fatalf("first table of stream %d: %.300s", i, first)
		}
	}
	before := c.app.dashboards.renders.Load()
	for _, step := range []string{"create-credential", "create-client"} {
		if res := ann.form(annURL+"/steps/"+step, nil, true); res.StatusCode != 200 {
			t.Fatalf("%s = %d", step, res.StatusCode)
		}
	}
	var want string
	for i, r := range readers {
		got := nextTable(t, r)
		for !strings.Contains(got, `data-name="Ann" data-steps="2"`) {
			got = nextTable(t, r)
		}
		if i == 0 {
			want = got
		} else if got != want {
			t.Fatalf("stream %d got other bytes than stream 0", i)
		}
	}
	// Two steps: one render each at most (one when they fall in one
	// coalescing window; a slow machine may add the periodic one), for all
	// four dashboards (not eight).
	if n := c.app.dashboards.renders.Load() - before; n < 1 || n > 3 {
		t.Fatalf("%d renders for 2 steps on %d dashboards", n, dashboards)
	}
	if strings.Contains(want, "_csrf") {
		t.Fatal("the shared table carries a CSRF token")
	}
}

// A learner's notice stream counts under the stream caps with the diagram
// streams: a page cannot open notice streams without bound.
func TestNoticeStreamsCountUnderStreamCaps(t *testing.T) {
	c := newClassroom(t)
	ann, annURL := c.join(t, "Ann")
	sb := strings.Split(annURL, "/")[2]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", c.srv.URL+path, nil)
		res, err := ann.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	for i := range DefaultStreamsPerSandbox {
		if res := open("/sandboxes/" + sb + "/workshop/stream"); res.StatusCode != 200 {
			t.Fatalf("notice stream %d = %d", i, res.StatusCode)
		}
	}
	for _, path := range []string{"/sandboxes/" + sb + "/workshop/stream", annURL + "/stream"} {
		res := open(path)
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("%s past the cap = %d (Retry-After %q)", path, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
}
