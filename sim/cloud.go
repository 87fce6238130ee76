// Package sim is the simulated cloud's front door: one http.Handler that
// routes by host exactly as Azure's names do, records every exchange on the
// owning sandbox's trace, and the two ways in (an in-process RoundTripper for
// the lesson runner; the proxy package for a learner's own program).
package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/queue"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// DefaultMaxRequestBody is the largest request body the front door accepts
// (413 beyond). Azure's own limits are higher, but no lesson needs more.
const DefaultMaxRequestBody = 1 << 20

// Config configures a Cloud.
type Config struct {
	// Registry holds every sandbox's world. Required.
	Registry *world.Registry
	// Keys sign and verify tokens; nil generates a fresh key set.
	Keys *entra.KeySet
	// Book receives the exchanges; nil keeps them in a default in-memory book.
	Book *trace.Book
	// Services overrides individual services (tests); nil fields get the
	// real ones.
	Services Services
	// MaxRequestBody limits request bodies; 0 means DefaultMaxRequestBody.
	MaxRequestBody int64
	// QueueLimits bound the messages a sandbox keeps in its queues; zero
	// fields get queue's defaults.
	QueueLimits queue.Limits
	// Logger receives the front door's warnings; nil logs nothing.
	Logger *slog.Logger
	// RunnerMITokenLifetime caps managed-identity tokens for the in-process
	// runner (see entra.ManagedIdentity.RunnerLifetime); 0 keeps 24 h.
	RunnerMITokenLifetime time.Duration
}

// Services are the handlers behind each host family.
type Services struct {
	Entra      http.Handler // login.microsoftonline.com and aliases
	IMDS       http.Handler // 169.254.169.254
	AppService http.Handler // host of entra.AppServiceIdentityEndpoint
	ARM        http.Handler // management.azure.com
	KeyVault   http.Handler // {vault}.vault.azure.net
	Queue      http.Handler // {account}.queue.core.windows.net
	WebApps    http.Handler // {site}.azurewebsites.net
	Graph      http.Handler // graph.microsoft.com
}

// Cloud is the simulated Azure cloud: every sandbox's services behind one
// handler.
type Cloud struct {
	reg       *world.Registry
	keys      *entra.KeySet
	book      *trace.Book
	issuer    *entra.Issuer
	validator *entra.Validator
	svc       Services
	maxBody   int64
	log       *slog.Logger
	bearers   tokenMemo // decoded bearer tokens for the trace
}

// New builds the cloud.
func New(cfg Config) (*Cloud, error) {
	if cfg.Registry == nil {
		return nil, errors.New("sim: new: Config.Registry is required")
	}
	keys := cfg.Keys
	if keys == nil {
		var err error
		if keys, err = entra.GenerateKeySet(); err != nil {
			return nil, fmt.Errorf("sim: new: %w", err)
		}
	}
	book := cfg.Book
	if book == nil {
		book = trace.NewBook(0, nil)
	}
	c := &Cloud{
		reg:       cfg.Registry,
		keys:      keys,
		book:      book,
		issuer:    entra.NewIssuer(keys),
		validator: entra.NewValidator(keys),
		svc:       cfg.Services,
		maxBody:   cfg.MaxRequestBody,
		log:       cfg.Logger,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxRequestBody
	}
	c.defaultServices(cfg)
	return c, nil
}

// Keys returns the token-signing keys (to persist them).
func (c *Cloud) Keys() *entra.KeySet { return c.keys }

// Registry returns the worlds.
func (c *Cloud) Registry() *world.Registry { return c.reg }

// Book returns the trace book.
func (c *Cloud) Book() *trace.Book { return c.book }

// Validator returns the token validator the resource servers share.
func (c *Cloud) Validator() *entra.Validator { return c.validator }

// Issuer returns the token issuer.
func (c *Cloud) Issuer() *entra.Issuer { return c.issuer }
