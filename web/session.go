package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
)

const (
	sessionCookie = "sandbox_session"
	ctxLearner    = "web.learner"
	// sessionMaxAge keeps an anonymous learner's sandboxes across browser
	// restarts for a workshop's lifetime and then some.
	sessionMaxAge = 180 * 24 * 60 * 60
)

// loadSession finds the learner of the request's session cookie, if any. It
// never creates one: pages and the create action do (ensureLearner).
// Requests authenticated with a bearer access key ignore the cookie.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if hasAuthorization(c.Request()) {
			return next(c)
		}
		ck, err := c.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		l, err := s.store.LearnerBySession(c.Request().Context(), ck.Value)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// A stale cookie (the data directory was wiped): a page visit
			// replaces it with a fresh learner.
		case err != nil:
			return fmt.Errorf("web: session: %w", err)
		default:
			c.Set(ctxLearner, l)
		}
		return next(c)
	}
}

// learnerFrom returns the session's learner, or nil.
func learnerFrom(c echo.Context) *store.Learner {
	l, _ := c.Get(ctxLearner).(*store.Learner)
	return l
}

// ensureLearner returns the session's learner, creating an anonymous one
// (and its cookie) on a first visit.
func (s *Server) ensureLearner(c echo.Context) (*store.Learner, error) {
	if l := learnerFrom(c); l != nil {
		return l, nil
	}
	token := newSecret()
	l, err := s.store.CreateLearner(c.Request().Context(), token)
	if err != nil {
		return nil, fmt.Errorf("web: create learner: %w", err)
	}
	c.SetCookie(&http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   sessionMaxAge,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.secureRequest(c.Request()),
	})
	c.Set(ctxLearner, l)
	return l, nil
}

// secureRequest reports whether cookies set on r must be Secure.
func (s *Server) secureRequest(r *http.Request) bool { return s.secure || r.TLS != nil }

// newSecret returns 32 random bytes, base64url without padding (43
// characters, safe in cookies, URLs and proxy user info).
func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hasAuthorization reports whether the request carries an Authorization
// header: such a request is authenticated by it alone.
func hasAuthorization(r *http.Request) bool { return r.Header.Get(echo.HeaderAuthorization) != "" }

// bearerToken returns the Bearer token of the request, if any.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
