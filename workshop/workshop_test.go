package workshop

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"image"
	"image/draw"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/store"
)

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewCode()
		if got, ok := NormalizeCode(c); !ok || got != c {
			t.Fatalf("NormalizeCode(%q) = %q, %v", c, got, ok)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Fatalf("only %d distinct codes in 200", len(seen))
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"acd-efg", "ACDEFG", true},
		{" AC DE FG ", "ACDEFG", true},
		{"ACDEF", "", false},
		{"ACDEFGH", "", false},
		{"ACDEF0", "", false}, // 0 is not in the alphabet
		{"ACDÉFG", "", false},
		{"", "", false},
		{strings.Repeat("A", 100), "", false},
	} {
		got, ok := NormalizeCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestQRSVG rasterizes the SVG as a browser would (each path segment a
// filled rectangle of modules, at 6 pixels a module) and decodes the image
// with an independent QR reader (gozxing, a port of ZXing): the projector's
// code must read back as the join link.
func TestQRSVG(t *testing.T) {
	for _, link := range []string{
		"http://10.0.0.5:8080/join/ACDEFG",
		"https://sandbox.example.org/join/HJKMNP?from=projector",
	} {
		svg, err := QRSVG(link)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQRSVG(t, svg); got != link {
			t.Fatalf("decoded %q, want %q", got, link)
		}
		if bytes.Contains(svg, []byte("style")) || bytes.Contains(svg, []byte("script")) {
			t.Fatal("the SVG must carry no style or script (CSP)")
		}
	}
}

// decodeQRSVG draws QRSVG's output (a white square and one path of
// "MxŷhWv1h-Wz" runs) into a grey image and decodes it.
func decodeQRSVG(t *testing.T, svg []byte) string {
	t.Helper()
	vb := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindSubmatch(svg)
	if vb == nil {
		t.Fatalf("no viewBox: %.120s", svg)
	}
	n, _ := strconv.Atoi(string(vb[1]))
	const scale = 6
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllSubmatch(svg, -1)
	if len(runs) == 0 {
		t.Fatal("no dark modules in the SVG path")
	}
	for _, m := range runs {
		x, _ := strconv.Atoi(string(m[1]))
		y, _ := strconv.Atoi(string(m[2]))
		w, _ := strconv.Atoi(string(m[3]))
		r := image.Rect(x*scale, y*scale, (x+w)*scale, (y+1)*scale)
		draw.Draw(img, r, image.Black, image.Point{}, draw.Src)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not decode: %v", err)
	}
	return res.GetText()
}

func TestOutcome(t *testing.T) {
	forbidden := trace.Exchange{Service: "keyvault", Status: 403,
		ResponseBody: `{"error":{"code":"Forbidden","message":"…","innererror":{"code":"ForbiddenByRbac"}}}`,
		Authz:        &rbac.Decision{Allowed: false, Suggestion: &rbac.Suggestion{RoleName: "Key Vault Secrets User"}}}
	challenge := trace.Exchange{Service: "keyvault", Status: 401, ResponseBody: `{"error":{"code":"Unauthorized"}}`}
	token := trace.Exchange{Service: "entra", Status: 200}
	badSecret := trace.Exchange{Service: "entra", Status: 401, ResponseBody: `{"error":"invalid_client"}`,
		Authn: &trace.Authn{OK: false, Code: "AADSTS7000215", Reason: "Invalid client secret provided.\nmore"}}
	queue := trace.Exchange{Service: "queue", Status: 403, ResponseBody: `<?xml version="1.0"?><Error><Code>AuthorizationPermissionMismatch</Code></Error>`}
	for _, tc := range []struct {
		name    string
		exs     []trace.Exchange
		ok      bool
		errText string
		want    string
	}{
		{"a refused read names the missing role", []trace.Exchange{challenge, token, forbidden}, false, "", "403 ForbiddenByRbac at Key Vault: no Key Vault Secrets User"},
		{"a wrong secret", []trace.Exchange{challenge, badSecret}, false, "", "401 AADSTS7000215 at Entra ID: Invalid client secret provided."},
		{"storage XML error", []trace.Exchange{queue}, false, "", "403 AuthorizationPermissionMismatch at Queue Storage"},
		{"success is told by the last call", []trace.Exchange{challenge, token, {Service: "keyvault", Status: 200}}, true, "", "200 at Key Vault"},
		{"no request", nil, true, "", "ran, no request"},
		{"failed before any request", nil, false, "no credential\nstack", "failed: no credential"},
		{"unknown body", []trace.Exchange{{Service: "arm", Status: 409, ResponseBody: "x"}}, false, "", "409 " + http.StatusText(409) + " at Resource Manager"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Outcome(tc.exs, tc.ok, tc.errText); got != tc.want {
				t.Errorf("Outcome = %q, want %q", got, tc.want)
			}
		})
	}
	if got := Outcome(nil, false, strings.Repeat("é", 300)); len(got) > maxOutcome+3 || !strings.HasSuffix(got, "…") {
		t.Errorf("long outcome not clipped: %d bytes", len(got))
	}
}

type memStore struct {
	w   store.Workshop
	ms  []store.Member
	evs []store.ProgressEvent
}

func (m *memStore) Workshop(_ context.Context, id string) (*store.Workshop, error) {
	if id != m.w.ID {
		return nil, store.ErrNotFound
	}
	w := m.w
	return &w, nil
}
func (m *memStore) Members(context.Context, string) ([]store.Member, error) { return m.ms, nil }
func (m *memStore) Events(context.Context, string) ([]store.ProgressEvent, error) {
	return m.evs, nil
}
func (m *memStore) AppendEvent(_ context.Context, e *store.ProgressEvent) error {
	e.Seq = int64(len(m.evs) + 1)
	m.evs = append(m.evs, *e)
	return nil
}

func TestBoardStuckAndRebuild(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	now := t0
	st := &memStore{w: store.Workshop{ID: "w1", Lessons: []string{"l1", "l2"}, StuckAfter: 10 * time.Minute},
		ms: []store.Member{{ID: "a", DisplayName: "Ann", JoinedAt: t0}, {ID: "b", DisplayName: "Bob", JoinedAt: t0}}}
	hub := NewHub(st, func() time.Time { return now })
	ctx := context.Background()
	b, err := hub.Board(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	changes, cancel := b.Subscribe()
	defer cancel()
	step := func(member, stepID string, ok, goal bool) {
		t.Helper()
		now = now.Add(time.Minute)
		if err := hub.Record(ctx, &store.ProgressEvent{WorkshopID: "w1", MemberID: member, Kind: KindStep,
			LessonID: "l1", StepID: stepID, OK: ok, GoalMet: goal, Outcome: "o-" + stepID}); err != nil {
			t.Fatal(err)
		}
	}
	step("a", "read", false, false)
	step("a", "read", false, false)
	if _, rows := b.Snapshot(now); rows[0].Stuck {
		t.Fatal("stuck after two failures")
	}
	step("a", "read", false, false)
	step("b", "read", true, true)
	select {
	case <-changes:
	default:
		t.Fatal("no change notified")
	}
	_, rows := b.Snapshot(now)
	if !rows[0].Stuck || !strings.Contains(rows[0].StuckReason, "3 times") {
		t.Fatalf("Ann = %+v, want stuck after three failures of one step", rows[0])
	}
	if rows[1].Stuck || !rows[1].Goals["l1"] || rows[1].Outcome != "o-read" {
		t.Fatalf("Bob = %+v", rows[1])
	}
	if rows[0].OnStep != 3*time.Minute { // reached "read" at t0+1m; now t0+4m
		t.Fatalf("Ann on step %v, want 3m", rows[0].OnStep)
	}

	// A success clears the failures; then time without progress marks stuck.
	step("a", "read", true, false)
	if _, rows := b.Snapshot(now); rows[0].Stuck {
		t.Fatal("still stuck after a success")
	}
	if _, rows := b.Snapshot(now.Add(10 * time.Minute)); !rows[0].Stuck || !strings.Contains(rows[0].StuckReason, "no progress") {
		t.Fatalf("after 10 minutes: %+v", rows[0])
	}

	// A fresh hub (a restarted server) rebuilds the same board from events.
	again, err := NewHub(st, func() time.Time { return now }).Board(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	_, want := b.Snapshot(now)
	_, got := again.Snapshot(now)
	for i := range want {
		if got[i].Stuck != want[i].Stuck || got[i].Steps != want[i].Steps || got[i].Outcome != want[i].Outcome || got[i].Goals["l1"] != want[i].Goals["l1"] {
			t.Fatalf("rebuilt row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := hub.Board(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown workshop: %v", err)
	}

	var buf bytes.Buffer
	w, rows := b.Snapshot(now)
	rows[1].Name = "=HYPERLINK(\"x\")"
	if err := WriteCSV(&buf, w, rows, map[string]string{"l1": "Lesson one"}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0][9] != "goal: Lesson one" || recs[0][10] != "goal: l2" || recs[1][0] != "Ann" ||
		recs[2][9] != "met" || recs[2][0] != `'=HYPERLINK("x")` {
		t.Fatalf("CSV = %q", recs)
	}
}

// slowStore numbers events in append order but holds the first append's
// return until release closes: its Record applies after a later one's.
type slowStore struct {
	memStore
	mu      sync.Mutex
	release chan struct{}
	held    chan struct{}
}

func (s *slowStore) AppendEvent(ctx context.Context, e *store.ProgressEvent) error {
	s.mu.Lock()
	err := s.memStore.AppendEvent(ctx, e)
	first := e.Seq == 1
	s.mu.Unlock()
	if first {
		close(s.held)
		<-s.release
	}
	return err
}

// TestRecordsApplyInAnyOrder: concurrent steps commit in one order and
// reach the board in another; neither may be lost (the dashboard would
// never show it).
func TestRecordsApplyInAnyOrder(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	st := &slowStore{memStore: memStore{w: store.Workshop{ID: "w1", Lessons: []string{"l1"}},
		ms: []store.Member{{ID: "a", DisplayName: "Ann", JoinedAt: t0}, {ID: "b", DisplayName: "Bob", JoinedAt: t0}}},
		release: make(chan struct{}), held: make(chan struct{})}
	hub := NewHub(st, func() time.Time { return t0 })
	ctx := context.Background()
	b, err := hub.Board(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- hub.Record(ctx, &store.ProgressEvent{WorkshopID: "w1", MemberID: "a", Kind: KindStep, LessonID: "l1", StepID: "s", OK: true})
	}()
	<-st.held
	if err := hub.Record(ctx, &store.ProgressEvent{WorkshopID: "w1", MemberID: "b", Kind: KindStep, LessonID: "l1", StepID: "s", OK: true}); err != nil {
		t.Fatal(err)
	}
	close(st.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_, rows := b.Snapshot(t0)
	if rows[0].Steps != 1 || rows[1].Steps != 1 {
		t.Fatalf("steps on the board: Ann %d, Bob %d; want 1 each", rows[0].Steps, rows[1].Steps)
	}
}
