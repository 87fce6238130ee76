package sim

import (
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Owns reports whether host (with or without port; any case) is a simulated
// Azure host. Names under a resource suffix ({vault}.vault.azure.net, ...)
// are owned whether or not such a resource exists: see Reach.
func (c *Cloud) Owns(host string) bool {
	_, _, ok := service.Lookup(host)
	return ok
}

// handler is the service answering at ep.
func (c *Cloud) handler(ep service.Endpoint) http.Handler {
	switch ep.Service {
	case service.Entra:
		return c.svc.Entra
	case service.ManagedIdentity:
		if ep.Host == service.HostIMDS {
			return c.svc.IMDS
		}
		return c.svc.AppService
	case service.ARM:
		return c.svc.ARM
	case service.KeyVault:
		return c.svc.KeyVault
	case service.Queue:
		return c.svc.Queue
	case service.WebApps:
		return c.svc.WebApps
	case service.Graph:
		return c.svc.Graph
	}
	return nil
}

// nameKind is the world's name kind of a service's resource hosts.
func nameKind(s service.Name) world.NameKind {
	switch s {
	case service.KeyVault:
		return world.NameVault
	case service.Queue:
		return world.NameStorage
	}
	return world.NameSite
}

// Reach returns the error a client at origin o would get connecting to host,
// or nil when it would reach a server. It is how both ways in fail like the
// real network:
//
//   - The managed-identity endpoints (IMDS, App Service's IDENTITY_ENDPOINT)
//     are link-local addresses only reachable on Azure compute: from a
//     workstation (o.Site == "") the connection fails ("connect: no route to
//     host"). The one exception is IDENTITY_ENDPOINT through the proxy (a
//     program playing code on the site; see below). azidentity's DefaultAzureCredential probe treats a transport
//     error as "no managed identity here", as it does on a real laptop, while
//     any HTTP answer would make it believe IMDS exists.
//   - A vault, storage account or site name nobody created does not resolve
//     in DNS ("lookup x.vault.azure.net: no such host"), as in Azure.
//   - Hosts the sim does not simulate fail to resolve too, with a message
//     saying so: the sandbox reaches nothing else.
func (c *Cloud) Reach(host string, o world.Origin) error {
	ep, name, ok := service.Lookup(host)
	h := service.Canonical(host)
	switch {
	case !ok:
		return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{
			Err: "not a simulated Azure host (the sandbox reaches only its simulated cloud)", Name: h, IsNotFound: true,
		}}
	case ep.Service == service.ManagedIdentity:
		// App Service has no IMDS (a VM feature): code on a site reaches only
		// IDENTITY_ENDPOINT, and only sites of kind "vm" answer IMDS.
		//
		// A learner's own program through the proxy may act as code on a
		// site: setting IDENTITY_ENDPOINT and IDENTITY_HEADER to the site's
		// values is how it says so, and the identity endpoint then decides
		// by the header (a wrong or missing one is refused, 401/400). IMDS
		// stays unreachable from the proxy, so DefaultAzureCredential's
		// probe on a workstation still finds no managed identity.
		imds := ep.Host == service.HostIMDS
		viaProxyAsSite := !imds && o.Via == "proxy"
		if (o.Site == "" && !viaProxyAsSite) || (imds && !c.isVM(o)) {
			return &net.OpError{
				Op: "dial", Net: "tcp",
				Addr: &net.TCPAddr{IP: net.ParseIP(h), Port: ep.Port},
				Err:  os.NewSyscallError("connect", syscall.EHOSTUNREACH),
			}
		}
	case name != "":
		if c.reg.ByName(nameKind(ep.Service), name) == nil {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: h, IsNotFound: true}}
		}
	}
	return nil
}

// isVM reports whether the origin's compute resource is a virtual machine.
func (c *Cloud) isVM(o world.Origin) bool {
	w := c.reg.Get(o.SandboxID)
	if w == nil {
		return false
	}
	vm := false
	w.View(func(s *world.State) {
		if site := s.Site(o.Site); site != nil && site.Kind == "vm" {
			vm = true
		}
	})
	return vm
}

// PlainHTTP reports whether Azure answers plain HTTP at host:port: only the
// managed-identity endpoints do (IMDS on port 80, App Service's
// IDENTITY_ENDPOINT on its port). Everything else is HTTPS only.
func (c *Cloud) PlainHTTP(host, port string) bool {
	ep, _, ok := service.Lookup(host)
	if !ok || ep.Scheme() != "http" {
		return false
	}
	return port == strconv.Itoa(ep.Port) || (port == "" && ep.Port == 80)
}
