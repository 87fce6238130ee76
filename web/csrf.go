package web

import (
	"crypto/hmac"
	"net/http"

	"github.com/labstack/echo/v4"
)

const (
	csrfFormName = "_csrf"
	ctxCSRF      = "csrf"
)

// csrf protects every state-changing request that carries ambient
// credentials (the session cookie): forms send the token as the _csrf field,
// scripts as the X-CSRF-Token header (the page has it in <meta
// name="csrf-token">). The token is an HMAC of the session cookie under the
// server's key, so it is bound to the session: a cookie planted by another
// service on the same host name (any port) cannot carry a matching token.
// Browsers that send Sec-Fetch-Site: same-origin pass on that alone;
// cross-site requests are refused.
//
// Exempt: requests with an Authorization header (the API's bearer access
// key cannot be attached by another site, and the cookie is then ignored),
// and state-changing requests without a session cookie (they carry no
// authority to forge; a sandbox created that way belongs to nobody).
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if hasAuthorization(r) {
			return next(c)
		}
		sess := sessionToken(c)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			if sess == "" && isPage(r) {
				sess = s.startSession(c)
			}
			if sess != "" {
				c.Set(ctxCSRF, s.csrfFor(sess))
			}
			return next(c)
		}
		if sess == "" {
			return next(c)
		}
		c.Set(ctxCSRF, s.csrfFor(sess))
		switch r.Header.Get("Sec-Fetch-Site") {
		case "same-origin":
			return next(c)
		case "cross-site":
			return &Error{Code: CodeCSRF, Message: "cross-site request refused"}
		}
		token := r.Header.Get(echo.HeaderXCSRFToken)
		if token == "" {
			token = c.FormValue(csrfFormName)
		}
		if !hmac.Equal([]byte(token), []byte(s.csrfFor(sess))) {
			return &Error{Code: CodeCSRF, Message: "missing or invalid CSRF token (send the X-CSRF-Token header or the _csrf form field)"}
		}
		return next(c)
	}
}

// csrfFor is the CSRF token of a session.
func (s *Server) csrfFor(session string) string { return s.derive("csrf", session) }

// csrfToken is the token to put into the page's forms.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(ctxCSRF).(string)
	return t
}

// isPage reports whether r asks for a page (not the JSON API), which starts
// a session so its forms carry a token.
func isPage(r *http.Request) bool {
	p := r.URL.Path
	return p != "/api" && (len(p) < 5 || p[:5] != "/api/")
}
