package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim/throttle"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// Error codes of the JSON API. Each maps to one HTTP status in statusOf.
const (
	CodeInvalidJSON      = "InvalidJson"
	CodeInvalidArgument  = "InvalidArgument"
	CodeUnknownScenario  = "UnknownScenario"
	CodeNotFound         = "NotFound"
	CodeMethodNotAllowed = "MethodNotAllowed"
	CodeTooLarge         = "RequestEntityTooLarge"
	CodeUnsupportedMedia = "UnsupportedMediaType"
	CodeCSRF             = "CsrfTokenInvalid"
	CodeForbidden        = "Forbidden"
	CodeUnavailable      = "ServiceUnavailable"
	CodeConflict         = "Conflict"
	CodeTooManyRequests  = "TooManyRequests"
	CodeQuotaExceeded    = "QuotaExceeded"
	CodeInternal         = "InternalError"
)

// Error is an error the application shows to its client: a code from the
// list above and a message safe to show.
type Error struct {
	Code    string
	Message string
	Err     error // the cause, for logs only
	// RetryAfter, when set, is sent as the Retry-After header (429, 503).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errSandboxNotFound is the one answer for a sandbox that does not exist and
// one the caller may not see: the bodies are identical, so existence leaks
// nothing.
func errSandboxNotFound() *Error {
	return &Error{Code: CodeNotFound, Message: "sandbox not found"}
}

// statusOf is the single mapping from error code to HTTP status.
func statusOf(code string) int {
	switch code {
	case CodeInvalidJSON, CodeInvalidArgument, CodeUnknownScenario:
		return http.StatusBadRequest
	case CodeCSRF, CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeConflict:
		return http.StatusConflict
	case CodeTooManyRequests:
		return http.StatusTooManyRequests
	case CodeQuotaExceeded:
		return http.StatusConflict
	default:
		return http.StatusInternalServerError
	}
}

// classify turns any error a handler or middleware returned into an *Error.
func classify(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := fmt.Sprint(he.Message)
		switch he.Code {
		case http.StatusNotFound:
			return &Error{Code: CodeNotFound, Message: "not found", Err: err}
		case http.StatusMethodNotAllowed:
			return &Error{Code: CodeMethodNotAllowed, Message: "method not allowed", Err: err}
		case http.StatusRequestEntityTooLarge:
			return &Error{Code: CodeTooLarge, Message: "request body too large", Err: err}
		case http.StatusForbidden:
			return &Error{Code: CodeForbidden, Message: msg, Err: err}
		case http.StatusUnsupportedMediaType:
			return &Error{Code: CodeUnsupportedMedia, Message: msg, Err: err}
		case http.StatusServiceUnavailable:
			return &Error{Code: CodeUnavailable, Message: msg, Err: err}
		}
		if he.Code >= 400 && he.Code < 500 {
			return &Error{Code: CodeInvalidArgument, Message: msg, Err: err}
		}
	}
	var se *sandboxes.Error
	if errors.As(err, &se) {
		code := CodeInvalidArgument
		switch {
		case errors.Is(se, sandboxes.ErrNotFound):
			return errSandboxNotFound()
		case errors.Is(se, sandboxes.ErrUnknownScenario):
			code = CodeUnknownScenario
		case errors.Is(se, sandboxes.ErrQuota):
			code = CodeQuotaExceeded
		case errors.Is(se, sandboxes.ErrThrottled):
			code = CodeTooManyRequests
		case errors.Is(se, sandboxes.ErrFull):
			code = CodeUnavailable
		}
		return &Error{Code: code, Message: se.Message, Err: err, RetryAfter: se.RetryAfter}
	}
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Code: CodeNotFound, Message: "not found", Err: err}
	}
	if errors.Is(err, world.ErrRetired) { // deleted or reset by another request meanwhile
		return &Error{Code: CodeConflict, Message: "the sandbox was reset or deleted meanwhile; reload and try again", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeUnavailable, Message: "request cancelled or timed out", Err: err}
	}
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// handleError is echo's HTTPErrorHandler: the one place errors become
// responses. API clients get JSON; browsers on pages get an HTML page.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae := classify(err)
	status := statusOf(ae.Code)
	log := loggerFrom(c)
	if status >= 500 {
		log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.String("code", ae.Code), slog.String("error", err.Error()))
	} else {
		log.LogAttrs(c.Request().Context(), slog.LevelDebug, "request refused",
			slog.String("code", ae.Code), slog.String("message", ae.Message))
	}
	if ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfterSeconds(ae.RetryAfter)))
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case wantsHTML(c):
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(status)
		werr = ui.ErrorPage(ui.Page{Title: "Error", CSRFToken: csrfToken(c)}, status, ae.Message).
			Render(c.Request().Context(), c.Response())
	default:
		werr = c.JSON(status, errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Message}})
	}
	if werr != nil {
		log.Debug("write error response", "error", werr)
	}
}

// wantsHTML reports whether the error is best shown as a page: a browser
// request outside the API.
func wantsHTML(c echo.Context) bool {
	r := c.Request()
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api" || r.URL.Path == "/healthz" {
		return false
	}
	return strings.Contains(r.Header.Get(echo.HeaderAccept), "text/html")
}
