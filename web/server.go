// Package web is the sandbox's HTTP application: the JSON API under /api,
// the server-rendered pages, sessions, CSRF protection and the security
// headers. Routes are listed in routes.go; each action lives in its own
// noun_verb.go file and stays thin: parse, call, render.
package web

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// Store is what the web layer needs of the persistent store.
type Store interface {
	Ping(ctx context.Context) error
	CreateLearner(ctx context.Context, sessionToken string) (*store.Learner, error)
	LearnerBySession(ctx context.Context, sessionToken string) (*store.Learner, error)
	SetDisplayName(ctx context.Context, learnerID, name string) error
	CreateSandbox(ctx context.Context, sb *store.Sandbox, world []byte) error
	Sandbox(ctx context.Context, id string) (*store.Sandbox, error)
	SandboxByAccessKey(ctx context.Context, key string) (*store.Sandbox, error)
	SandboxesByLearner(ctx context.Context, learnerID string) ([]store.Sandbox, error)
	DeleteSandbox(ctx context.Context, id string) error
	ClearExchanges(ctx context.Context, sandboxID string) error
}

// Config wires the application to the rest of the program.
type Config struct {
	Store    Store
	Registry *world.Registry
	Book     *trace.Book
	// CACertPEM is the proxy's root certificate, served at /ca.pem.
	CACertPEM []byte
	// BaseURL is the URL learners reach the server at (printed URLs, the
	// API's proxyUrl and caCertUrl). An https URL makes cookies Secure.
	BaseURL *url.URL
	// IdentityEndpoint is the App Service IDENTITY_ENDPOINT value a
	// learner's program uses to act as the site's managed identity.
	IdentityEndpoint string
	// Logger receives one structured line per request; nil discards.
	Logger *slog.Logger
	// Creator names the program in HAR files ("name/version").
	Creator string
	// LessonsDir is an optional directory of lessons that add to or
	// override the embedded ones (--lessons), for the lesson player.
	LessonsDir string
	// Key is the server's secret for deriving proxy passwords and CSRF
	// tokens (32 random bytes, kept across restarts so neither changes);
	// nil generates one for this process (tests).
	Key []byte
	// Limits bound what one learner or sandbox may hold open; zero fields
	// get the defaults.
	Limits Limits
	// Cloud is how the lesson runner reaches the simulated cloud
	// (lessons.FromSim(cloud)); nil builds a private one over Registry and
	// Book (tests).
	Cloud lessons.Cloud
}

// Limits are the web application's caps for a shared classroom server.
type Limits struct {
	// StreamsPerSandbox and StreamsPerLearner cap open live-diagram
	// streams (429 beyond).
	StreamsPerSandbox int
	StreamsPerLearner int
}

func (l Limits) withDefaults() Limits {
	if l.StreamsPerSandbox <= 0 {
		l.StreamsPerSandbox = DefaultStreamsPerSandbox
	}
	if l.StreamsPerLearner <= 0 {
		l.StreamsPerLearner = DefaultStreamsPerLearner
	}
	return l
}

// Server is the HTTP application. It is an http.Handler.
type Server struct {
	store    Store
	reg      *world.Registry
	book     *trace.Book
	caPEM    []byte
	base     *url.URL
	identity string
	log      *slog.Logger
	creator  string
	secure   bool // cookies carry Secure (TLS or an https public URL)
	lessons  string
	cloud    lessons.Cloud
	player   *player // the lesson player (lesson_player.go)
	key      []byte  // derives proxy passwords and CSRF tokens (keys.go)
	limits   Limits

	// lifecycle serializes reset and delete: both swap a sandbox's world in
	// the registry and must not interleave.
	lifecycle sync.Mutex

	echo *echo.Echo
}

// New returns the application.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Registry == nil || cfg.Book == nil || cfg.BaseURL == nil {
		return nil, errors.New("web: new: Store, Registry, Book and BaseURL are required")
	}
	s := &Server{
		store:    cfg.Store,
		reg:      cfg.Registry,
		book:     cfg.Book,
		caPEM:    cfg.CACertPEM,
		base:     cfg.BaseURL,
		identity: cfg.IdentityEndpoint,
		log:      cfg.Logger,
		creator:  cfg.Creator,
		secure:   strings.EqualFold(cfg.BaseURL.Scheme, "https"),
		lessons:  cfg.LessonsDir,
		cloud:    cfg.Cloud,
		key:      cfg.Key,
		limits:   cfg.Limits.withDefaults(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if len(s.key) == 0 {
		s.key = make([]byte, 32)
		rand.Read(s.key)
	}
	if s.creator == "" {
		s.creator = "azure-auth-sandbox"
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// Client addresses come from the socket only: X-Forwarded-For is
	// attacker-controlled unless a trusted reverse proxy is configured.
	e.IPExtractor = echo.ExtractIPDirect()
	s.echo = e
	if err := s.routes(e); err != nil {
		return nil, err
	}
	return s, nil
}

// ServeHTTP serves the application.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// url returns the absolute public URL of path.
func (s *Server) url(path string) string {
	u := *s.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// proxyURL is the proxy's URL (the server's own address), optionally with
// the sandbox's credentials as proxy user info.
func (s *Server) proxyURL(user *url.Userinfo) string {
	// The proxy listens where the app does, so it shares its scheme and host.
	u := url.URL{Scheme: s.base.Scheme, Host: s.base.Host, User: user}
	return u.String()
}
