package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// A class fault runs in every learner's sandbox (several at a time) and
// reports each learner's outcome: in the JSON answer and on the learner's
// dashboard row, including the learner it could not reach.
func TestClassFaultReportsEachLearner(t *testing.T) {
	c := newClassroom(t)
	const n = 6
	urls := map[string]string{}
	for i := range n {
		name := fmt.Sprintf("L%d", i)
		_, u := c.join(t, name)
		urls[name] = u
	}
	// L5's sandbox goes away behind the workshop's back.
	gone := strings.Split(urls["L5"], "/")[2]
	ctx := context.Background()
	sb, err := c.db.Sandbox(ctx, gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.sandboxes.Delete(ctx, sb); err != nil {
		t.Fatal(err)
	}

	form := url.Values{"fault": {"siteIdentityOff"}, "target": {"all"}, "_csrf": {c.teacher.csrf}}
	res := c.teacher.do("POST", c.wsURL+"/fault", strings.NewReader(form.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "X-CSRF-Token": c.teacher.csrf})
	if res.StatusCode != 200 {
		t.Fatalf("fault = %d: %s", res.StatusCode, res.body)
	}
	var rep faultReport
	if err := json.Unmarshal([]byte(res.body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Injected != n-1 || rep.Of != n || len(rep.Learners) != n {
		t.Fatalf("report = %+v", rep)
	}
	for i, r := range rep.Learners {
		name := fmt.Sprintf("L%d", i)
		if r.Name != name {
			t.Fatalf("learner %d is %q, want %q (members' order)", i, r.Name, name)
		}
		if name == "L5" {
			if r.OK || !strings.HasPrefix(r.Outcome, "not injected") {
				t.Errorf("L5 = %+v, want not injected", r)
			}
			continue
		}
		if !r.OK || !strings.Contains(r.Outcome, "turn off the site's system-assigned identity") {
			t.Errorf("%s = %+v", name, r)
		}
		var patched bool
		for _, ex := range c.book.List(strings.Split(urls[name], "/")[2], 0) {
			patched = patched || (ex.Service == "arm" && ex.Method == "PATCH" && strings.Contains(ex.URL, "/sites/"))
		}
		if !patched {
			t.Errorf("%s's trace has no ARM PATCH of the site", name)
		}
	}
	dash := c.teacher.page(c.wsURL)
	if row := rowOf(t, dash.body, "L5"); !strings.Contains(row, "fault: not injected") {
		t.Errorf("L5's row does not say the fault missed it: %s", row)
	}
	if row := rowOf(t, dash.body, "L0"); !strings.Contains(row, "fault: turn off the site") {
		t.Errorf("L0's row: %s", row)
	}
	// The form's answer names who was missed.
	res = c.teacher.form(c.wsURL+"/fault", url.Values{"fault": {"advanceClock"}, "seconds": {"60"}, "target": {"all"}}, false)
	if loc := res.Header.Get("Location"); res.StatusCode != 303 || !strings.Contains(loc, "5+of+6") || !strings.Contains(loc, "L5") {
		t.Fatalf("fault form = %d %q", res.StatusCode, loc)
	}
}
