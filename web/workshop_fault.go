package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// The class faults.
const (
	faultExpireSecret    = "expireSecret"
	faultRemoveRole      = "removeRole"
	faultSiteIdentityOff = "siteIdentityOff"
	faultPropagation     = "propagationDelay"
	faultAdvanceClock    = "advanceClock"
)

// maxFaultSeconds bounds the delay and clock faults (a day; the panel
// allows more, a class needs no more).
const maxFaultSeconds = 24 * 60 * 60

// workshopFault injects a fault into every learner's sandbox, or the ticked
// ones. Each goes through the lessons' own action, as the lesson panel's
// button does (a role removal is ARM's DELETE as the sandbox owner, the
// site identity ARM's PATCH), so the learner's diagram shows the marker
// and the requests.
func (s *Server) workshopFault(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	if !w.EndedAt.IsZero() {
		return errorf(CodeConflict, "the workshop has ended")
	}
	form, err := c.FormParams()
	if err != nil {
		return errorf(CodeInvalidArgument, "could not read the form")
	}
	kind := form.Get("fault")
	var secs int64
	switch kind {
	case faultPropagation, faultAdvanceClock:
		secs, err = strconv.ParseInt(form.Get("seconds"), 10, 64)
		if err != nil || secs < 0 || secs > maxFaultSeconds {
			return errorf(CodeInvalidArgument, "seconds must be a whole number from 0 to %d", maxFaultSeconds)
		}
	case faultExpireSecret, faultRemoveRole, faultSiteIdentityOff:
	default:
		return errorf(CodeInvalidArgument, "unknown fault %q", clipText(kind, 40))
	}
	ctx := c.Request().Context()
	members, err := s.ws.Members(ctx, w.ID)
	if err != nil {
		return err
	}
	if form.Get("target") == "selected" {
		picked := map[string]bool{}
		for _, id := range form["members"] {
			picked[id] = true
		}
		kept := members[:0]
		for _, m := range members {
			if picked[m.ID] {
				kept = append(kept, m)
			}
		}
		members = kept
		if len(members) == 0 {
			return errorf(CodeInvalidArgument, "tick the learners to inject the fault for, or choose everyone")
		}
	}
	_, rows := b.Snapshot(s.hub.Now())
	where := map[string]string{}
	for _, r := range rows {
		where[r.MemberID] = r.Lesson
	}
	results := s.injectFaults(ctx, w, members, where, kind, secs)
	done := 0
	var missed []string
	for _, r := range results {
		if r.OK {
			done++
		} else {
			missed = append(missed, r.Name)
		}
	}
	if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON) {
		return c.JSON(http.StatusOK, faultReport{Fault: kind, Injected: done, Of: len(results), Learners: results})
	}
	msg := fmt.Sprintf("fault injected in %d of %d sandboxes", done, len(results))
	if len(missed) > 0 {
		msg += "; not in " + clipText(strings.Join(missed, ", "), 100) + " (their rows say why)"
	}
	return c.Redirect(http.StatusSeeOther, dashboardURL(w.ID)+"?done="+url.QueryEscape(msg))
}

// faultWorkers bounds how many sandboxes a class fault works on at once:
// a class of 100 takes a fraction of the serial time without the
// instructor's one POST taking both cores from the learners.
const faultWorkers = 4

// faultResult is one learner's outcome of a class fault.
type faultResult struct {
	MemberID string `json:"memberId"`
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Outcome  string `json:"outcome"`
}

// faultReport is the JSON answer of a class fault.
type faultReport struct {
	Fault    string        `json:"fault"`
	Injected int           `json:"injected"`
	Of       int           `json:"of"`
	Learners []faultResult `json:"learners"`
}

// injectFaults runs a fault in each member's sandbox, faultWorkers at a
// time, records each outcome on the dashboard (the learner's row shows it)
// and returns them in the members' order. A member without a sandbox is
// reported too.
func (s *Server) injectFaults(ctx context.Context, w *store.Workshop, members []store.Member, where map[string]string, kind string, secs int64) []faultResult {
	results := make([]faultResult, len(members))
	sem := make(chan struct{}, faultWorkers)
	var wg sync.WaitGroup
	for i := range members {
		m := &members[i]
		results[i] = faultResult{MemberID: m.ID, Name: m.DisplayName}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var outcome string
			var err error = errorf(CodeNotFound, "no sandbox (reset it from the dashboard)")
			if m.SandboxID != "" {
				outcome, err = s.injectFault(ctx, w, m, where[m.ID], kind, secs)
			}
			if err != nil {
				s.log.Warn("workshop fault", "workshop", w.ID, "member", m.ID, "error", err)
				outcome = "not injected: " + faultError(err)
			}
			results[i].OK, results[i].Outcome = err == nil, outcome
			if err := s.hub.Record(ctx, &store.ProgressEvent{WorkshopID: w.ID, MemberID: m.ID, Kind: workshop.KindFault,
				LessonID: where[m.ID], Outcome: outcome}); err != nil {
				s.log.Warn("workshop fault event", "workshop", w.ID, "member", m.ID, "error", err)
			}
		})
	}
	wg.Wait()
	return results
}

// faultError is an injection failure as the instructor reads it: the
// message of one of our errors, else a generic line (internal details
// stay in the log).
func faultError(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, context.Canceled) {
		return "the request was cancelled"
	}
	return "the sandbox could not be changed (see the server log)"
}

// injectFault runs one fault in a member's sandbox, in the lesson the
// member is on, and says what changed.
func (s *Server) injectFault(ctx context.Context, w *store.Workshop, m *store.Member, lessonID, kind string, secs int64) (string, error) {
	p := s.player
	t, err := s.memberTarget(ctx, w, m, lessonID)
	if err != nil {
		return "", err
	}
	t.byInstructor = true
	var action, title string
	params := map[string]string{}
	switch kind {
	case faultExpireSecret:
		// Entra ID refuses a secret past its end date; moving the sandbox
		// clock just past the newest localDev secret's end is that moment.
		var end time.Time
		t.w.View(func(st *world.State) {
			if pr := st.Principals[st.Labels["localDev"]]; pr != nil {
				for _, cs := range pr.Secrets {
					if cs.EndDate.After(end) {
						end = cs.EndDate
					}
				}
			}
		})
		if end.IsZero() {
			return "", errorf(CodeConflict, "localDev has no client secret to expire")
		}
		d := max(end.Sub(t.w.Now())+time.Minute, 0)
		action, title = "advanceClock", "expire localDev's secret (clock moved past "+end.UTC().Format("2006-01-02 15:04")+" UTC)"
		params["seconds"] = strconv.FormatInt(int64(d/time.Second), 10)
	case faultRemoveRole:
		action, title = "removeRole", "remove localDev's Key Vault Secrets User role on the vault"
		params["principal"], params["role"], params["scope"] = "localDev", "Key Vault Secrets User", "vault"
	case faultSiteIdentityOff:
		action, title = "setSiteIdentity", "turn off the site's system-assigned identity"
		params["state"] = "off"
	case faultPropagation:
		action, title = "setPropagationDelay", fmt.Sprintf("role assignments now take %ds to count", secs)
		params["seconds"] = strconv.FormatInt(secs, 10)
	case faultAdvanceClock:
		action, title = "advanceClock", fmt.Sprintf("sandbox clock moved %ds ahead", secs)
		params["seconds"] = strconv.FormatInt(secs, 10)
	}
	res, err := p.do(ctx, t, "Instructor: "+title, func() (*lessons.StepResult, error) {
		return t.run.runner.Do(ctx, "instructor", action, params, t.lesson.Marker("instructor"))
	})
	if err != nil {
		return "", err
	}
	if !res.OK {
		return title + ": " + workshop.Outcome(res.Exchanges, false, res.Error), nil
	}
	return title, nil
}

// memberTarget is a member's sandbox with the run of the lesson they are
// on (where the class is, when they have not started one).
func (s *Server) memberTarget(ctx context.Context, w *store.Workshop, m *store.Member, lessonID string) (*target, error) {
	p := s.player
	sb, err := s.store.Sandbox(ctx, m.SandboxID)
	if err != nil {
		return nil, err
	}
	wld := s.sandboxes.World(sb.ID)
	if wld == nil {
		return nil, errSandboxNotFound()
	}
	les := p.catalog.Get(lessonID)
	if les == nil {
		les = p.catalog.Get(currentLesson(w))
	}
	if les == nil {
		return nil, errorf(CodeNotFound, "lesson not found")
	}
	run, err := p.runFor(ctx, sb, wld, les)
	if err != nil {
		return nil, err
	}
	return &target{sb: sb, w: wld, lesson: les, run: run}, nil
}
