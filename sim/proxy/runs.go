package proxy

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// RunUserPrefix starts the proxy user name of a lesson run's program.
const RunUserPrefix = "run-"

// Runs attributes proxy traffic to programs the server itself runs (a
// lesson's Python worker). Each gets its own proxy user name and password;
// their requests take the origin the run reports at the moment they are
// served (sandbox, lesson step, site), so a connection kept alive across
// steps still labels each request with the step that sent it.
type Runs struct {
	mu   sync.Mutex
	runs map[string]run
}

type run struct {
	pass   string
	origin func() world.Origin
}

// NewRuns returns an empty registry.
func NewRuns() *Runs { return &Runs{runs: map[string]run{}} }

// Register gives a program credentials whose traffic takes origin(). The
// release function withdraws them.
func (r *Runs) Register(origin func() world.Origin) (user, pass string, release func()) {
	user = RunUserPrefix + randomToken(12)
	pass = randomToken(24)
	r.mu.Lock()
	r.runs[user] = run{pass: pass, origin: origin}
	r.mu.Unlock()
	return user, pass, func() {
		r.mu.Lock()
		delete(r.runs, user)
		r.mu.Unlock()
	}
}

// lookup checks a run's credentials.
func (r *Runs) lookup(user, pass string) (func() world.Origin, bool) {
	if r == nil || !strings.HasPrefix(user, RunUserPrefix) {
		return nil, false
	}
	r.mu.Lock()
	ru, ok := r.runs[user]
	r.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(ru.pass), []byte(pass)) != 1 {
		return nil, false
	}
	return ru.origin, true
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// Option configures a Proxy.
type Option func(*Proxy)

// WithRuns lets the programs registered in runs use the proxy.
func WithRuns(runs *Runs) Option { return func(p *Proxy) { p.runs = runs } }
