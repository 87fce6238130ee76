package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

const maxMemberName = 40

// joinSubmit joins a workshop: the learner gets a sandbox of the workshop's
// scenario and lands on the class's lesson. The same browser joining again
// returns to its sandbox (and gets a new one if the old was deleted).
//
// Joins are marked sandboxes.ForWorkshop: a limits hook does not count them
// against a per-address cap (a class of 100 usually shares one NAT
// address). The workshop bounds them instead: a valid code, a running
// workshop, one sandbox per learner, at most maxMembers learners.
func (s *Server) joinSubmit(c echo.Context) error {
	raw, rawName := c.FormValue("code"), c.FormValue("name")
	refuse := func(status int, msg string) error {
		m := ui.JoinPage{Page: ui.Page{Title: "Join a workshop", CSRFToken: csrfToken(c)}, Code: clipText(raw, 32), Name: clipText(rawName, maxMemberName), Error: msg}
		return render(c, status, ui.Join(m))
	}
	code, ok := workshop.NormalizeCode(raw)
	if !ok {
		return refuse(http.StatusBadRequest, "A join code has 6 letters and digits, as shown on the projector.")
	}
	ctx := c.Request().Context()
	w, err := s.ws.WorkshopByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return refuse(http.StatusNotFound, "No workshop has this code. Check it on the projector.")
	}
	if err != nil {
		return err
	}
	if !running(w, s.hub.Now()) {
		return refuse(http.StatusNotFound, "This workshop has ended; its code no longer works.")
	}
	l, err := s.ensureLearner(c)
	if err != nil {
		return err
	}
	m, err := s.ws.MemberByLearner(ctx, w.ID, l.ID)
	switch {
	case err == nil: // rejoining from the same browser
	case errors.Is(err, store.ErrNotFound):
		name, msg := checkMemberName(rawName)
		if msg != "" {
			return refuse(http.StatusBadRequest, msg)
		}
		// The board counts the members (it holds every one): no read of
		// the whole class per join.
		b, err := s.hub.Board(ctx, w.ID)
		if err != nil {
			return err
		}
		if b.Len() >= maxMembers {
			return refuse(http.StatusConflict, "This workshop is full.")
		}
		m = &store.Member{WorkshopID: w.ID, LearnerID: l.ID, DisplayName: name}
		joined := &store.ProgressEvent{Kind: workshop.KindJoin, At: s.hub.Now()}
		err = s.ws.JoinMember(ctx, m, joined)
		if errors.Is(err, store.ErrConflict) {
			return refuse(http.StatusConflict, "Someone in this workshop already uses the name \""+name+"\": choose another.")
		} else if err != nil {
			return err
		}
		b.AddMember(*m)
		if err := s.hub.Stored(ctx, joined); err != nil {
			return err
		}
	default:
		return err
	}
	sbID, err := s.memberSandbox(ctx, w, m)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, lessonURL(sbID, currentLesson(w)))
}

// memberSandbox returns the member's sandbox, creating it when they have
// none (first join, or it was deleted).
func (s *Server) memberSandbox(ctx context.Context, w *store.Workshop, m *store.Member) (string, error) {
	if m.SandboxID != "" && s.sandboxes.World(m.SandboxID) != nil {
		return m.SandboxID, nil
	}
	sb, _, err := s.sandboxes.Create(sandboxes.ForWorkshop(ctx), m.LearnerID, w.Scenario)
	if err != nil {
		return "", err
	}
	if err := s.ws.SetMemberSandbox(ctx, m.ID, sb.ID); err != nil {
		return "", err
	}
	m.SandboxID = sb.ID
	if b, err := s.hub.Board(ctx, w.ID); err == nil {
		b.SetMemberSandbox(m.ID, sb.ID)
	}
	return sb.ID, nil
}

// checkMemberName trims and validates a display name in a workshop; it
// returns the learner-facing refusal, if any.
func checkMemberName(raw string) (string, string) {
	name := strings.TrimSpace(raw)
	switch {
	case !utf8.ValidString(name):
		return "", "Your name is not valid text."
	case name == "":
		return "", "Enter the name the instructor will see."
	case utf8.RuneCountInString(name) > maxMemberName:
		return "", "Your name may have at most 40 characters."
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", "Your name may contain only printable characters."
		}
	}
	return name, ""
}
