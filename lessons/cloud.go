package lessons

import (
	"net/http"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Cloud is what the runner needs from the simulated cloud: a transport that
// reaches it from a given origin, and the exchanges it recorded.
type Cloud interface {
	Transport(o world.Origin) http.RoundTripper
	Exchanges(sandboxID string, afterSeq int64) []trace.Exchange
	// LastSeq is the Seq of the sandbox's newest exchange (0: none).
	LastSeq(sandboxID string) int64
}

// simCloud is the shape of *sim.Cloud.
type simCloud interface {
	Transport(o world.Origin) http.RoundTripper
	Book() *trace.Book
}

// FromSim adapts a *sim.Cloud (anything with Transport and Book) to Cloud.
func FromSim(c simCloud) Cloud { return bookCloud{c} }

type bookCloud struct{ c simCloud }

func (b bookCloud) Transport(o world.Origin) http.RoundTripper { return b.c.Transport(o) }

func (b bookCloud) Exchanges(id string, after int64) []trace.Exchange {
	return b.c.Book().List(id, after)
}

func (b bookCloud) LastSeq(id string) int64 { return b.c.Book().LastSeq(id) }
