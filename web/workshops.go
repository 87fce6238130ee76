package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// workshopStore is what classroom workshops need of the store.
type workshopStore interface {
	workshop.Store
	RedeemInstructorLink(ctx context.Context, linkToken, sessionToken string) (*store.Instructor, error)
	InstructorBySession(ctx context.Context, sessionToken string) (*store.Instructor, error)
	CreateWorkshop(ctx context.Context, w *store.Workshop) error
	WorkshopByCode(ctx context.Context, code string) (*store.Workshop, error)
	WorkshopsByInstructor(ctx context.Context, instructorID string) ([]store.Workshop, error)
	SetWorkshopLesson(ctx context.Context, id, lessonID string) error
	SetPresenterSandbox(ctx context.Context, id, sandboxID string) error
	EndWorkshop(ctx context.Context, id string) error
	SetWorkshopNotice(ctx context.Context, id, message string, at time.Time) error
	DueWorkshops(ctx context.Context, now time.Time) ([]store.Workshop, error)
	JoinMember(ctx context.Context, m *store.Member, e *store.ProgressEvent) error
	SetMemberSandbox(ctx context.Context, memberID, sandboxID string) error
	Member(ctx context.Context, workshopID, memberID string) (*store.Member, error)
	MemberByLearner(ctx context.Context, workshopID, learnerID string) (*store.Member, error)
	MemberBySandbox(ctx context.Context, sandboxID string) (*store.Member, error)
	MembershipsByLearner(ctx context.Context, learnerID string) ([]store.Member, error)
}

const (
	instructorCookie = "sandbox_instructor"
	ctxInstructor    = "web.instructor"
	// maxMembers bounds one workshop. Joins create sandboxes outside the
	// per-address limits (a class shares one NAT address); this cap, the
	// join code and the workshop's end bound them instead.
	maxMembers = 300
	// dashboardTick refreshes time-based columns (time on step, stuck after
	// no progress) when nothing happens.
	dashboardTick = 5 * time.Second
)

// loadInstructor finds the signed-in instructor of the request, if any.
func (s *Server) loadInstructor(c echo.Context) (*store.Instructor, error) {
	if in, ok := c.Get(ctxInstructor).(*store.Instructor); ok {
		return in, nil
	}
	ck, err := c.Cookie(instructorCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 64 {
		return nil, nil
	}
	in, err := s.ws.InstructorBySession(c.Request().Context(), ck.Value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: instructor session: %w", err)
	}
	c.Set(ctxInstructor, in)
	return in, nil
}

// instructorOnly admits signed-in instructors. A state-changing request
// must also carry the learner session cookie, so the CSRF check (bound to
// that session) applies: the instructor cookie alone authorizes nothing.
func (s *Server) instructorOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		in, err := s.loadInstructor(c)
		if err != nil {
			return err
		}
		if in == nil {
			return errorf(CodeForbidden, "sign in with your instructor link first (sandbox instructor add NAME prints one); a removed instructor's link and sessions no longer work")
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
		default:
			if ck, err := c.Cookie(sessionCookie); err != nil || ck.Value == "" {
				return errorf(CodeCSRF, "missing session: reload the page and try again")
			}
		}
		return next(c)
	}
}

// ownWorkshop resolves :wid to a workshop of the signed-in instructor;
// anything else is the same 404.
func (s *Server) ownWorkshop(c echo.Context) (*store.Workshop, *workshop.Board, error) {
	in, _ := s.loadInstructor(c)
	id := c.Param("wid")
	if in == nil || !validSandboxID(id) {
		return nil, nil, errorf(CodeNotFound, "workshop not found")
	}
	ctx := c.Request().Context()
	w, err := s.ws.Workshop(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && w.InstructorID != in.ID) {
		return nil, nil, errorf(CodeNotFound, "workshop not found")
	}
	if err != nil {
		return nil, nil, err
	}
	b, err := s.hub.Board(ctx, w.ID)
	if err != nil {
		return nil, nil, err
	}
	return w, b, nil
}

// ownMember resolves :mid to a member of the instructor's workshop.
func (s *Server) ownMember(c echo.Context) (*store.Workshop, *workshop.Board, *store.Member, error) {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return nil, nil, nil, err
	}
	id := c.Param("mid")
	if !validSandboxID(id) {
		return nil, nil, nil, errorf(CodeNotFound, "learner not found in this workshop")
	}
	m, err := s.ws.Member(c.Request().Context(), w.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, errorf(CodeNotFound, "learner not found in this workshop")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return w, b, m, nil
}

func dashboardURL(wid string) string { return "/instructor/workshops/" + wid }

// running reports whether learners may still join and act.
func running(w *store.Workshop, now time.Time) bool {
	return w.EndedAt.IsZero() && (w.EndsAt.IsZero() || now.Before(w.EndsAt))
}

// currentLesson is where a member's page should be: where the class was
// moved, else the first lesson.
func currentLesson(w *store.Workshop) string {
	if w.CurrentLesson != "" {
		return w.CurrentLesson
	}
	if len(w.Lessons) > 0 {
		return w.Lessons[0]
	}
	return ""
}

// workshopEvent is the workshop event of a step or action a workshop
// member ran in their sandbox (nil: the sandbox is in no workshop, which
// costs one cached lookup). It is saved with the run (player.saveStep);
// workshopStored then puts it on the workshop's dashboard.
func (s *Server) workshopEvent(ctx context.Context, sandboxID string, l *lessons.Lesson, res *lessons.StepResult, goalMet func() bool) *store.ProgressEvent {
	if res == nil {
		return nil
	}
	m, err := s.ws.MemberBySandbox(ctx, sandboxID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("workshop member lookup", "error", err)
		}
		return nil
	}
	kind := workshop.KindAction
	if l.Step(res.StepID) != nil {
		kind = workshop.KindStep
	}
	return &store.ProgressEvent{WorkshopID: m.WorkshopID, MemberID: m.ID, Kind: kind, LessonID: l.ID,
		StepID: res.StepID, OK: res.OK, GoalMet: goalMet(), Outcome: workshop.Outcome(res.Exchanges, res.OK, res.Error), At: s.hub.Now()}
}

// workshopStored shows a saved workshop event on the dashboard.
func (s *Server) workshopStored(ctx context.Context, e *store.ProgressEvent, err error) {
	if err == nil {
		err = s.hub.Stored(ctx, e)
	}
	if err != nil {
		s.log.Warn("workshop event", "error", err)
	}
}

// lessonNotice is the workshop banner of a sandbox's lesson page.
func (s *Server) lessonNotice(ctx context.Context, sandboxID string) *ui.WorkshopNotice {
	n, _ := s.noticeFor(ctx, sandboxID)
	return n
}
