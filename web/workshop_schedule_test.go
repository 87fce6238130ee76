package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world/worldtest"
)

// createWorkshop creates a workshop from the teacher's form and returns
// its dashboard URL and join code.
func (c *classroom) createWorkshop(t *testing.T, title, endsInMinutes string) (string, string) {
	t.Helper()
	res := c.teacher.form("/instructor/workshops", url.Values{"title": {title}, "lessons": {lesson1},
		"scenario": {"walkthrough"}, "endsInMinutes": {endsInMinutes}}, false)
	if res.StatusCode != 303 {
		t.Fatalf("create workshop = %d: %s", res.StatusCode, res.body)
	}
	dash := res.Header.Get("Location")
	m := regexp.MustCompile(`data-testid="join-code">([A-Z0-9]{6})<`).FindStringSubmatch(c.teacher.page(dash).body)
	if m == nil {
		t.Fatal("no join code")
	}
	return dash, m[1]
}

// joinCode joins the workshop of code as name from a new browser.
func (c *classroom) joinCode(t *testing.T, code, name string) (*browser, string) {
	t.Helper()
	b := c.browser()
	b.visit()
	res := b.form("/join", url.Values{"code": {code}, "name": {name}}, false)
	if res.StatusCode != 303 {
		t.Fatalf("join as %s = %d: %s", name, res.StatusCode, res.body)
	}
	return b, res.Header.Get("Location")
}

// The broadcast message survives a restart; a workshop's end time ends it
// (sandboxes deleted, progress kept) by the workshops' clock, also when the
// time passed while the server was down.
func TestWorkshopNoticeKeptAndEndTime(t *testing.T) {
	c := newClassroom(t)
	clk := worldtest.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	c.now = clk.Now
	c.restart()

	dashA, codeA := c.createWorkshop(t, "Morning", "30")
	dashB, codeB := c.createWorkshop(t, "Afternoon", "90")
	ann, annURL := c.joinCode(t, codeA, "Ann")
	bob, bobURL := c.joinCode(t, codeB, "Bob")
	if res := ann.form(annURL+"/steps/create-credential", nil, true); res.StatusCode != 200 {
		t.Fatalf("step = %d", res.StatusCode)
	}

	if res := c.teacher.form(dashA+"/broadcast", url.Values{"message": {"Break until 10:30"}}, false); res.StatusCode != 303 {
		t.Fatalf("broadcast = %d: %s", res.StatusCode, res.body)
	}
	c.restart()
	if page := ann.page(annURL); page.StatusCode != 200 || !strings.Contains(page.body, "Break until 10:30") {
		t.Fatalf("Ann's page after a restart = %d, message shown: %v", page.StatusCode, strings.Contains(page.body, "Break until 10:30"))
	}
	if page := bob.page(bobURL); strings.Contains(page.body, "Break until 10:30") {
		t.Fatal("another workshop's learner sees the message")
	}

	// 29 minutes: nothing ends. 31: Morning ends, Afternoon runs on.
	ctx := context.Background()
	clk.Advance(29 * time.Minute)
	if n := c.app.endDue(ctx); n != 0 {
		t.Fatalf("ended %d workshops before their end time", n)
	}
	clk.Advance(2 * time.Minute)
	if n := c.app.endDue(ctx); n != 1 {
		t.Fatalf("ended %d workshops at Morning's end time, want 1", n)
	}
	if res := ann.page(annURL); res.StatusCode != 404 {
		t.Errorf("Ann's lesson after the end = %d, want 404 (sandbox deleted)", res.StatusCode)
	}
	if res := bob.page(bobURL); res.StatusCode != 200 {
		t.Errorf("Bob's lesson (workshop still running) = %d", res.StatusCode)
	}
	csv := c.teacher.page(dashA + "/progress.csv")
	if csv.StatusCode != 200 || !strings.Contains(csv.body, "Ann") {
		t.Errorf("Morning's CSV after the end = %d: %s", csv.StatusCode, csv.body)
	}
	if page := c.teacher.page(dashA); count(page.body, "ended") != 1 {
		t.Error("Morning's dashboard does not say it ended")
	}
	x := c.browser()
	x.visit()
	if res := x.form("/join", url.Values{"code": {codeA}, "name": {"Late"}}, false); res.StatusCode != 404 {
		t.Errorf("join after the end = %d", res.StatusCode)
	}

	// Afternoon's end passes while the server is down: the first sweep of
	// the restarted server ends it.
	clk.Advance(2 * time.Hour)
	c.restart()
	deadline := time.Now().Add(10 * time.Second)
	for bob.page(bobURL).StatusCode != 404 {
		if time.Now().After(deadline) {
			t.Fatal("Afternoon was not ended after the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if page := c.teacher.page(dashB); count(page.body, "ended") != 1 {
		t.Error("Afternoon's dashboard does not say it ended")
	}
}
