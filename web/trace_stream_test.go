package web

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The stream sends the diagram at once, then again when the sandbox
// records an exchange, whoever made it (here: the learner's own program
// through the proxy).
func TestTraceStream(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	sb := strings.Split(base, "/")[2]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", pe.srv.URL+base+"/stream", nil)
	res, err := pe.b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan [2]string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		var name string
		var data strings.Builder
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data.WriteString(strings.TrimPrefix(line, "data: ") + "\n")
			case line == "":
				if name != "" {
					events <- [2]string{name, data.String()}
				}
				name = ""
				data.Reset()
			}
		}
		close(events)
	}()
	next := func(want string) string {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("stream ended before a %s event", want)
				}
				if ev[0] == want {
					return ev[1]
				}
			case <-ctx.Done():
				t.Fatalf("no %s event", want)
			}
		}
	}
	if d := next("diagram"); !strings.Contains(d, `id="diagram"`) || !strings.Contains(d, `data-count="0"`) {
		t.Fatalf("first diagram:\n%s", d)
	}
	if g := next("goal"); !strings.Contains(g, `id="goal"`) {
		t.Fatalf("goal event:\n%s", g)
	}
	ownProgram(t, pe, sb)
	d := next("diagram")
	if !strings.Contains(d, `data-count="1"`) || !strings.Contains(d, "Your own program (through the proxy) — 1 request") {
		t.Fatalf("diagram after the program's request:\n%s", d)
	}
	// A server shutting down ends the stream.
	pe.app.CloseStreams()
	for range events {
	}
	if ctx.Err() != nil {
		t.Fatal("the stream did not end on CloseStreams")
	}
}
