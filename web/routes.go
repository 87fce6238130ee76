package web

import (
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/static"
)

// routes lists every route of the application.
func (s *Server) routes(e *echo.Echo) error {
	// Outermost first: the request log sees the final status of everything.
	e.Use(s.requestLog, securityHeaders, recoverPanics)

	// Operations and assets: no session, no body.
	e.GET("/healthz", s.healthGet)
	e.GET("/ca.pem", s.caGet)
	e.GET("/favicon.ico", s.faviconGet)
	assets, err := fs.Sub(static.FS, ".")
	if err != nil {
		return fmt.Errorf("web: static: %w", err)
	}
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(filesOnly{assets}))))

	// Middleware per route, not on a group: a group with middleware answers
	// 404 for every unknown method, hiding 405s.
	app := []echo.MiddlewareFunc{limitBody, noStore, clientAddress, s.loadSession, s.csrf}

	// Pages (HTML; every form carries the CSRF token). The lesson player's
	// pages go here too.
	e.GET("/", s.homeShow, app...)
	e.POST("/sandboxes", s.sandboxCreateForm, app...)
	e.POST("/learner/name", s.learnerRename, app...)
	e.POST("/learner/language", s.learnerLanguage, app...)

	// JSON API: session cookie + X-CSRF-Token, or Authorization: Bearer <accessKey>.
	e.POST("/api/sandboxes", s.sandboxCreate, app...)
	e.GET("/api/sandboxes", s.sandboxList, app...)
	e.GET("/api/sandboxes/:id", s.sandboxGet, app...)
	e.DELETE("/api/sandboxes/:id", s.sandboxDelete, app...)
	e.POST("/api/sandboxes/:id/reset", s.sandboxReset, app...)
	e.POST("/api/sandboxes/:id/clock", s.clockAdvance, app...)
	e.GET("/api/sandboxes/:id/trace", s.traceGet, app...)
	e.GET("/api/sandboxes/:id/trace.har", s.traceHAR, app...)

	// The lesson player (lesson_player.go): catalog, lesson pages and their
	// fragments (htmx), the diagram's event stream, the sandbox panel.
	p := s.player
	e.GET("/lessons", p.lessonList, app...)
	e.GET("/lessons/:lesson", p.lessonOpen, app...)
	e.POST("/lessons/:lesson/start", p.lessonStart, app...)
	e.GET("/sandboxes/:id/lessons/:lesson", p.lessonShow, app...)
	e.GET("/sandboxes/:id/lessons/:lesson/diagram", p.diagramShow, app...)
	e.GET("/sandboxes/:id/lessons/:lesson/stream", p.traceStream, app...)
	e.GET("/sandboxes/:id/lessons/:lesson/present", p.presenterShow, app...)
	e.GET("/sandboxes/:id/lessons/:lesson/exchanges/:seq", p.exchangeShow, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/steps/:step", p.stepRun, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/again/:block", p.rerunRun, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/place", p.placeSet, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/language", p.languageSet, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/restart", p.programRestart, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/fix", p.fixApply, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/panel/:action", p.panelApply, app...)
	e.POST("/sandboxes/:id/lessons/:lesson/reset", p.panelReset, app...)

	// Classroom workshops (workshops.go): the instructor's sign-in, their
	// workshops and live dashboards; learners join with a code.
	if s.ws != nil {
		e.GET("/join", s.joinShow, app...)
		e.POST("/join", s.joinSubmit, app...)
		e.GET("/sandboxes/:id/workshop/stream", s.noticeStream, app...)
		e.GET("/instructor/signin", s.instructorSignInShow, app...)
		e.POST("/instructor/signin", s.instructorSignIn, app...)
		in := append(app[:len(app):len(app)], s.instructorOnly)
		e.GET("/instructor", s.instructorHome, in...)
		e.POST("/instructor/workshops", s.workshopCreate, in...)
		e.GET("/instructor/workshops/:wid", s.workshopShow, in...)
		e.GET("/instructor/workshops/:wid/qr.svg", s.workshopQR, in...)
		e.GET("/instructor/workshops/:wid/stream", s.workshopStream, in...)
		e.GET("/instructor/workshops/:wid/progress.csv", s.workshopExport, in...)
		e.GET("/instructor/workshops/:wid/learners/:mid", s.workshopLearner, in...)
		e.POST("/instructor/workshops/:wid/learners/:mid/reset", s.workshopLearnerReset, in...)
		e.POST("/instructor/workshops/:wid/broadcast", s.workshopBroadcast, in...)
		e.POST("/instructor/workshops/:wid/lesson", s.workshopMove, in...)
		e.POST("/instructor/workshops/:wid/fault", s.workshopFault, in...)
		e.POST("/instructor/workshops/:wid/presenter", s.workshopPresenter, in...)
		e.POST("/instructor/workshops/:wid/end", s.workshopEnd, in...)
	}
	return nil
}
