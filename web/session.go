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
	ctxSession    = "web.session" // the session cookie's value
	// sessionMaxAge keeps an anonymous learner's sandboxes across browser
	// restarts for a workshop's lifetime and then some.
	sessionMaxAge = 180 * 24 * 60 * 60
)

// loadSession finds the learner of the request's session cookie, if any. It
// never creates one: a learner row is created by the first state-changing
// action (ensureLearner), so page views cost no storage. Requests
// authenticated with a bearer access key ignore the cookie.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if hasAuthorization(c.Request()) {
			return next(c)
		}
		ck, err := c.Cookie(sessionCookie)
		if err != nil || !validSessionToken(ck.Value) {
			return next(c)
		}
		c.Set(ctxSession, ck.Value)
		l, err := s.store.LearnerBySession(c.Request().Context(), ck.Value)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// A session without a learner yet (only pages were seen), or a
			// stale cookie (the data directory was wiped): the first action
			// creates the learner.
		case err != nil:
			return fmt.Errorf("web: session: %w", err)
		default:
			c.Set(ctxLearner, l)
		}
		return next(c)
	}
}

// sessionToken is the request's session cookie value ("" without one).
func sessionToken(c echo.Context) string {
	t, _ := c.Get(ctxSession).(string)
	return t
}

// validSessionToken accepts values shaped like newSecret's: a client cannot
// pick a short or odd session token.
func validSessionToken(v string) bool {
	if len(v) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

// startSession gives the client a session cookie (no learner row yet).
func (s *Server) startSession(c echo.Context) string {
	token := newSecret()
	c.SetCookie(&http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   sessionMaxAge,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.secureRequest(c.Request()),
	})
	c.Set(ctxSession, token)
	return token
}

// learnerFrom returns the session's learner, or nil.
func learnerFrom(c echo.Context) *store.Learner {
	l, _ := c.Get(ctxLearner).(*store.Learner)
	return l
}

// viewer is the session's learner for a page view: the stored one, or an
// anonymous learner with no ID (who has no sandboxes and no progress).
func viewer(c echo.Context) *store.Learner {
	if l := learnerFrom(c); l != nil {
		return l
	}
	return &store.Learner{}
}

// ensureLearner returns the session's learner, creating it (and, without a
// session, the session) on the first state-changing action.
func (s *Server) ensureLearner(c echo.Context) (*store.Learner, error) {
	if l := learnerFrom(c); l != nil {
		return l, nil
	}
	token := sessionToken(c)
	if token == "" {
		token = s.startSession(c)
		c.Set(ctxCSRF, s.csrfFor(token))
	}
	l, err := s.store.CreateLearner(c.Request().Context(), token)
	if err != nil {
		// Two first actions of one session at once: the other created it.
		if found, ferr := s.store.LearnerBySession(c.Request().Context(), token); ferr == nil {
			l, err = found, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("web: create learner: %w", err)
	}
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
