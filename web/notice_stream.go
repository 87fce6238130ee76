package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// noticeFor is the workshop notice of a sandbox's page, or nil outside a
// workshop.
func (s *Server) noticeFor(ctx context.Context, sandboxID string) (*ui.WorkshopNotice, *workshop.Board) {
	if s.ws == nil {
		return nil, nil
	}
	m, err := s.ws.MemberBySandbox(ctx, sandboxID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("workshop notice", "error", err)
		}
		return nil, nil
	}
	b, err := s.hub.Board(ctx, m.WorkshopID)
	if err != nil {
		s.log.Warn("workshop notice", "error", err)
		return nil, nil
	}
	n := b.Notice()
	v := &ui.WorkshopNotice{Message: n.Message, Seq: n.Seq}
	if n.Lesson != "" {
		v.Lesson, v.LessonURL = s.lessonTitle(n.Lesson), lessonURL(sandboxID, n.Lesson)
	}
	return v, b
}

// noticeStream pushes the instructor's messages and lesson moves to a
// workshop learner's page.
func (s *Server) noticeStream(c echo.Context) error {
	sb, _, err := s.sandboxFor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	_, b := s.noticeFor(ctx, sb.ID)
	if b == nil {
		return errorf(CodeNotFound, "this sandbox is not in a workshop")
	}
	// Counted under the same caps as the diagram streams: a page holds
	// both, and a script opening hundreds is refused alike.
	release, err := s.player.hub.admit(sb.ID, sb.LearnerID)
	if err != nil {
		return err
	}
	defer release()
	ch, cancel := b.SubscribeNotices()
	defer cancel()
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	res.WriteHeader(http.StatusOK)
	var last int64 = -1
	keepAlive := time.NewTicker(streamKeepAlive)
	defer keepAlive.Stop()
	for {
		n, _ := s.noticeFor(ctx, sb.ID)
		if n == nil {
			return nil // the sandbox left the workshop (it ended)
		}
		if n.Seq != last {
			last = n.Seq
			if err := writeEvent(ctx, res, "notice", ui.Notice(*n)); err != nil {
				return nil
			}
			res.Flush()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.player.closing:
			return nil
		case <-keepAlive.C:
			if _, err := res.Write([]byte(": keep-alive\n\n")); err != nil {
				return nil
			}
			res.Flush()
		case <-ch:
		}
	}
}
