package web

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// openStream opens a lesson's event stream; the caller reads or closes it.
func openStream(t *testing.T, pe *playerEnv, ctx context.Context, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", pe.srv.URL+path+"/stream", nil)
	res, err := pe.b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// readEvents reads events until n diagram events have come, returning the
// raw bytes of the n-th one (with any goal event that followed it).
func nthDiagram(t *testing.T, r *bufio.Reader, n int) string {
	t.Helper()
	var cur strings.Builder
	seen := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v after %d diagrams", err, seen)
		}
		if line == "event: diagram\n" {
			if seen == n {
				return cur.String()
			}
			seen++
			cur.Reset()
		}
		if seen == n {
			cur.WriteString(line)
			if strings.HasPrefix(cur.String(), "event: diagram") && strings.HasSuffix(cur.String(), "\n\n") && strings.Contains(cur.String(), "event: goal") {
				return cur.String()
			}
		}
	}
}

// Finding: every open stream re-rendered the whole diagram for every new
// exchange (200 streams, 20 GETs: 1.26 s of CPU). Now one render per change
// is fanned out to every stream as the same bytes.
func TestStreamsShareOneRenderPerChange(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	sb := strings.Split(base, "/")[2]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = DefaultStreamsPerSandbox
	readers := make([]*bufio.Reader, n)
	for i := range readers {
		res := openStream(t, pe, ctx, base)
		if res.StatusCode != 200 {
			t.Fatalf("stream %d = %d", i, res.StatusCode)
		}
		readers[i] = bufio.NewReader(res.Body)
		nthDiagram(t, readers[i], 1) // the first frame
	}
	before := pe.p.hub.renders.Load()
	for i := 0; i < 3; i++ { // one burst: one update
		if err := pe.book.Record(ctx, &trace.Exchange{SandboxID: sb, Via: "proxy", Method: "GET",
			URL: "https://example.vault.azure.net/secrets/x", Status: 401, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var first string
	for i, r := range readers {
		got := nthDiagram(t, r, 1)
		if !strings.Contains(got, `data-count="3"`) {
			t.Fatalf("stream %d update:\n%s", i, got)
		}
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("stream %d got different bytes", i)
		}
	}
	if r := pe.p.hub.renders.Load() - before; r != 1 {
		t.Errorf("%d renders for one change on %d streams, want 1", r, n)
	}
}

// Finding: no cap on open streams. Beyond the cap per sandbox (and per
// learner) a stream is refused with 429 and Retry-After.
func TestStreamCaps(t *testing.T) {
	pe := newPlayerEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var bases []string
	for i := 0; i <= DefaultStreamsPerLearner/DefaultStreamsPerSandbox; i++ {
		bases = append(bases, pe.start(t, "auth-at-the-call"))
		pe.b.visit()
	}
	open := 0
	for _, base := range bases[:len(bases)-1] {
		for i := 0; i < DefaultStreamsPerSandbox; i++ {
			if res := openStream(t, pe, ctx, base); res.StatusCode != 200 {
				t.Fatalf("stream %d of %s = %d", i, base, res.StatusCode)
			}
			open++
		}
		res := openStream(t, pe, ctx, base)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "streams") {
			t.Fatalf("stream beyond the sandbox cap = %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	}
	if open != DefaultStreamsPerLearner {
		t.Fatalf("opened %d", open)
	}
	// The learner's third sandbox is under its own cap but the learner is at
	// theirs.
	res := openStream(t, pe, ctx, bases[len(bases)-1])
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream beyond the learner cap = %d", res.StatusCode)
	}
	// Another learner is unaffected.
	other := pe.env.browser()
	other.visit()
	ob := playerEnv{env: pe.env, p: pe.p, b: other}
	obase := ob.start(t, "auth-at-the-call")
	req, _ := http.NewRequestWithContext(ctx, "GET", pe.srv.URL+obase+"/stream", nil)
	ores, err := other.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer ores.Body.Close()
	if ores.StatusCode != 200 {
		t.Errorf("another learner's stream = %d", ores.StatusCode)
	}
}

// A stream renders its goal panel again after each burst of exchanges, for
// the target of the request that opened it: the placeholders of its hints
// are filled with the world's values of each render, not of the first one
// (a hint naming localDev's secret shows the secret it has now).
func TestStreamGoalFillsTheWorldsValuesOfEachRender(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	sb := strings.Split(base, "/")[2]
	for _, c := range pe.p.catalog.Get(lesson1).Checks() {
		c.HintHTML = "<p>secret=[{clientSecret}]</p>"
	}
	w := pe.reg.Get(sb)
	secret := func() (s string) {
		w.View(func(st *world.State) { s = st.Keychain[scenario.LabelLocalDev] })
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := openStream(t, pe, ctx, base)
	if res.StatusCode != 200 {
		t.Fatalf("stream = %d", res.StatusCode)
	}
	r := bufio.NewReader(res.Body)
	if got, want := nthDiagram(t, r, 1), "secret=["+secret()+"]"; !strings.Contains(got, want) {
		t.Fatalf("first frame lacks %q:\n%s", want, got)
	}
	if err := w.Update(ctx, func(tx *world.Tx) error {
		tx.State.Keychain[scenario.LabelLocalDev] = "rotated-secret"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := pe.book.Record(ctx, &trace.Exchange{SandboxID: sb, Via: "proxy", Method: "GET",
		URL: "https://example.vault.azure.net/secrets/x", Status: 401, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := nthDiagram(t, r, 1); !strings.Contains(got, "secret=[rotated-secret]") {
		t.Errorf("the frame after the change lacks the world's secret:\n%s", got)
	}
}
