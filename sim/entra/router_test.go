package entra

import (
	"net"
	"net/http"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/azure-auth-sandbox/sandbox/sim/inproc"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// sim bundles the services under test and routes by host, as the front door
// does.
type sim struct {
	reg  *world.Registry
	keys *KeySet
	svc  *Service
	mi   *ManagedIdentity

	mu   sync.Mutex
	seen []string // "METHOD host/path" of every request
}

func newSim(reg *world.Registry) *sim {
	ks := testKeys()
	iss := NewIssuer(ks)
	return &sim{reg: reg, keys: ks, svc: NewService(reg, iss), mi: NewManagedIdentity(reg, iss)}
}

func (s *sim) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	s.mu.Lock()
	s.seen = append(s.seen, r.Method+" "+host+r.URL.Path)
	s.mu.Unlock()
	switch {
	case host == service.HostIMDS:
		s.mi.IMDS().ServeHTTP(rw, r)
	case host == service.HostAppServiceIdentity:
		s.mi.AppService().ServeHTTP(rw, r)
	default:
		if IsAuthorityHost(host) {
			s.svc.ServeHTTP(rw, r)
			return
		}
		http.Error(rw, "no such host", http.StatusBadGateway)
	}
}

func (s *sim) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// originTransport stamps every request with where it comes from, as the
// lesson runner does, then serves it in process.
type originTransport struct {
	origin world.Origin
	next   http.RoundTripper
}

func (t originTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(r.WithContext(world.WithOrigin(r.Context(), t.origin)))
}

func (s *sim) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Transport: &http.Client{Transport: &inproc.Transport{Handler: s}}}
}

func (s *sim) clientOptionsFrom(o world.Origin) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: &http.Client{Transport: originTransport{o, &inproc.Transport{Handler: s}}}}
}
