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
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// Store is what the web layer needs of the persistent store: learners and
// sessions, finding sandboxes, and what the lesson player keeps.
type Store interface {
	Ping(ctx context.Context) error
	CreateLearner(ctx context.Context, sessionToken string) (*store.Learner, error)
	LearnerBySession(ctx context.Context, sessionToken string) (*store.Learner, error)
	SetDisplayName(ctx context.Context, learnerID, name string) error
	Sandbox(ctx context.Context, id string) (*store.Sandbox, error)
	SandboxMeta(ctx context.Context, id string) (*store.Sandbox, error)
	SandboxByAccessKey(ctx context.Context, key string) (*store.Sandbox, error)
	playerStore
}

// Sandboxes is the sandbox lifecycle the web layer calls
// (*sandboxes.Service): it owns creating, resetting and deleting sandboxes
// and persisting their worlds; web only speaks HTTP.
type Sandboxes interface {
	Create(ctx context.Context, learnerID, scenario string) (*store.Sandbox, *world.World, error)
	Reset(ctx context.Context, sb *store.Sandbox) (*world.World, error)
	Delete(ctx context.Context, sb *store.Sandbox) error
	AdvanceClock(ctx context.Context, w *world.World, seconds int64) (time.Time, time.Duration, error)
	// World returns a sandbox's world, nil when it has none.
	World(id string) *world.World
	// Book holds the sandboxes' traces.
	Book() *trace.Book
	// Real Azure mode (sandboxes/real.go).
	RealAvailable() bool
	CreateInAzure(ctx context.Context, learnerID, scenario string) (*store.Sandbox, *world.World, error)
	Azure(id string) (azure.Sandbox, bool)
	AzureEndpoints() azure.Endpoints
}

// The real store and the lifecycle service are what New is given: a store
// without the player's methods does not compile, rather than save nothing.
var (
	_ Store     = (*store.DB)(nil)
	_ Sandboxes = (*sandboxes.Service)(nil)
)

// Config wires the application to the rest of the program.
type Config struct {
	Store     Store
	Sandboxes Sandboxes
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
	// Now is the clock of workshops (stuck marks, end times); nil is
	// time.Now.
	Now func() time.Time
	// Cloud is how the lesson runner reaches the sandboxes' cloud
	// (lessons.FromSim(cloud)). Required.
	Cloud lessons.Cloud
	// Python runs lessons' Python steps with the real Python SDK; nil: the
	// Python tab runs Go, and PythonMissing says why.
	Python        *lessons.Python
	PythonMissing string
	// FindPython, when set, replaces Python and PythonMissing: it is called
	// once, when a lesson first needs to know (the server answers before
	// the interpreter has been probed, which takes a second).
	FindPython func() (*lessons.Python, string)
	// RealFacts, when set, gives the lesson runner a real-mode sandbox's
	// facts (false: a simulated sandbox, or its Azure resources are not
	// ready yet).
	RealFacts func(sandboxID string, w *world.World) (lessons.Facts, bool)
	// RealMissing names the preflight capabilities (azure.Capability) the
	// server's identity lacks when real mode is configured but was not
	// offered: lessons that need them say so on their page.
	RealMissing []string
	// Explain explains a real-mode refusal from the wire
	// (azure.Provisioner.Explain); nil without real mode.
	Explain func(ctx context.Context, sandboxID string, ex *azure.Exchange) (*azure.Refusal, error)
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
	store     Store
	sandboxes Sandboxes
	book      *trace.Book
	caPEM     []byte
	base      *url.URL
	identity  string
	log       *slog.Logger
	creator   string
	secure    bool    // cookies carry Secure (TLS or an https public URL)
	player    *player // the lesson player (lesson_player.go)
	key       []byte  // derives proxy passwords and CSRF tokens (keys.go)
	limits    Limits
	// ws and hub serve classroom workshops (workshops.go); nil when the
	// store keeps no workshops.
	ws         workshopStore
	hub        *workshop.Hub
	dashboards *dashboardFeeds // one rendering of a class table for all its dashboards

	echo *echo.Echo
}

// New returns the application.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Sandboxes == nil || cfg.Cloud == nil || cfg.BaseURL == nil {
		return nil, errors.New("web: new: Store, Sandboxes, Cloud and BaseURL are required")
	}
	s := &Server{
		store:     cfg.Store,
		sandboxes: cfg.Sandboxes,
		book:      cfg.Sandboxes.Book(),
		caPEM:     cfg.CACertPEM,
		base:      cfg.BaseURL,
		identity:  cfg.IdentityEndpoint,
		log:       cfg.Logger,
		creator:   cfg.Creator,
		secure:    strings.EqualFold(cfg.BaseURL.Scheme, "https"),
		key:       cfg.Key,
		limits:    cfg.Limits.withDefaults(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if len(s.key) == 0 {
		s.key = make([]byte, 32)
		rand.Read(s.key)
	}
	if ws, ok := cfg.Store.(workshopStore); ok {
		s.ws = ws
		s.hub = workshop.NewHub(ws, cfg.Now)
		s.dashboards = newDashboardFeeds(s)
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
	p, err := newPlayer(playerConfig{store: cfg.Store, sandboxes: cfg.Sandboxes, cloud: cfg.Cloud, lessonsDir: cfg.LessonsDir,
		log: s.log, limits: s.limits, sandboxFor: s.sandboxFor, ensureLearner: s.ensureLearner, lessonValues: s.lessonValues,
		findPython: findPython(cfg), realFacts: cfg.RealFacts, realMissing: cfg.RealMissing, explain: cfg.Explain})
	if err != nil {
		return nil, err
	}
	if s.ws != nil {
		p.stepEvent, p.stepStored, p.notice = s.workshopEvent, s.workshopStored, s.lessonNotice
	}
	s.player = p
	if err := s.routes(e); err != nil {
		return nil, err
	}
	if s.ws != nil {
		go s.scheduleEnds()
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

// findPython finds the Python of lessons once, and says why lessons cannot
// run Python ("" when they can).
func findPython(cfg Config) func() (*lessons.Python, string) {
	find := cfg.FindPython
	if find == nil {
		find = func() (*lessons.Python, string) { return cfg.Python, cfg.PythonMissing }
	}
	return sync.OnceValues(func() (*lessons.Python, string) {
		py, why := find()
		if py != nil {
			return py, ""
		}
		if why == "" {
			why = "this server runs no Python"
		}
		return nil, why
	})
}
