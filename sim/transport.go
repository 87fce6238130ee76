package sim

import (
	"net/http"

	"github.com/azure-auth-sandbox/sandbox/sim/inproc"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Transport returns an http.RoundTripper that serves requests in process (no
// sockets, no TLS, the real URLs) as code running at o would see them: o is
// in each request's context, so the services know the calling sandbox and
// site. Hosts Reach says the code could not reach fail with the same
// *net.OpError the network would give (IMDS from a workstation, vault names
// that do not exist, hosts outside the simulated cloud). o.Via defaults to
// "runner".
func (c *Cloud) Transport(o world.Origin) http.RoundTripper {
	if o.Via == "" {
		o.Via = "runner"
	}
	return &transport{c: c, o: o, in: inproc.Transport{Handler: c}}
}

type transport struct {
	c  *Cloud
	o  world.Origin
	in inproc.Transport
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.c.Reach(req.URL.Host, t.o); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.in.RoundTrip(req.WithContext(world.WithOrigin(req.Context(), t.o)))
}
