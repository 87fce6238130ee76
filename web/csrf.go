package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

const (
	csrfCookie   = "_csrf"
	csrfFormName = "_csrf"
	ctxCSRF      = "csrf"
)

// csrf protects every state-changing request that carries ambient
// credentials (the session cookie): forms send the token as the _csrf field,
// scripts as the X-CSRF-Token header (the page has it in <meta
// name="csrf-token">). Browsers that send Sec-Fetch-Site are checked by it
// instead (same-origin passes, cross-site is refused), as echo's middleware
// does.
//
// Exempt: requests with an Authorization header (the API's bearer access
// key cannot be attached by another site, and the cookie is then ignored),
// and state-changing requests without a session cookie (they carry no
// authority to forge; a sandbox created that way belongs to nobody).
func (s *Server) csrf() (echo.MiddlewareFunc, error) {
	return middleware.CSRFConfig{
		Skipper: func(c echo.Context) bool {
			r := c.Request()
			if hasAuthorization(r) {
				return true
			}
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return false // issue the token for the page's forms
			}
			ck, err := r.Cookie(sessionCookie)
			return err != nil || ck.Value == ""
		},
		TokenLookup:    "header:" + echo.HeaderXCSRFToken + ",form:" + csrfFormName,
		ContextKey:     ctxCSRF,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		CookieSecure:   s.secure,
		ErrorHandler: func(err error, c echo.Context) error {
			return &Error{Code: CodeCSRF, Message: "missing or invalid CSRF token (send the X-CSRF-Token header or the _csrf form field)", Err: err}
		},
	}.ToMiddleware()
}

// csrfToken is the token to put into the page's forms.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(ctxCSRF).(string)
	return t
}
