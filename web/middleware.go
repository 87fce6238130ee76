package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sandboxes"
)

const (
	headerRequestID = "X-Request-Id"
	ctxLogger       = "web.logger"
	maxBodyBytes    = 64 << 10
)

// contentSecurityPolicy allows only the app's own scripts, styles and
// connections; inline scripts and styles are refused.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// requestLog gives each request an ID (the client's X-Request-Id when it is
// short and plain, a fresh one otherwise), a logger carrying it, and logs one
// line when the request ends. Only the method, path, status, size and time
// are logged: never headers, query strings or bodies, which carry secrets.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id := c.Request().Header.Get(headerRequestID)
		if !plainID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(headerRequestID, id)
		log := s.log.With(slog.String("request_id", id))
		c.Set(ctxLogger, log)
		err := next(c)
		if err != nil {
			c.Error(err) // writes the response so the status below is final
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.String("route", c.Path()),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.RealIP()),
		)
		return nil
	}
}

// loggerFrom returns the request's logger.
func loggerFrom(c echo.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// recoverPanics turns a panic into a 500 (logged with its value) instead of
// a dropped connection.
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err = fmt.Errorf("web: panic: %v", v)
			}
		}()
		return next(c)
	}
}

// limitBody caps request bodies: the API takes small JSON documents only.
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > maxBodyBytes {
			return errorf(CodeTooLarge, "request body larger than %d bytes", maxBodyBytes)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBodyBytes)
		return next(c)
	}
}

// noStore keeps the app's answers out of every cache: API responses and
// pages carry access keys, client secrets and passwords.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// filesOnly serves the files of an fs.FS and never a directory listing: a
// directory is "not found".
type filesOnly struct{ fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, fs.ErrNotExist
	}
	return file, nil
}

// clientAddress tells the sandbox service which client address asks (the
// socket's: X-Forwarded-For is not trusted), for its per-address limit.
func clientAddress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(sandboxes.WithClient(r.Context(), c.RealIP())))
		return next(c)
	}
}
