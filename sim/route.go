package sim

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/graph"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Host families of the simulated cloud.
const (
	HostARM          = "management.azure.com"
	SuffixVault      = ".vault.azure.net"
	SuffixQueue      = ".queue.core.windows.net"
	SuffixWebApps    = ".azurewebsites.net"
	serviceUnrouted  = ""
	familyEntra      = "entra"
	familyIMDS       = "imds"
	familyAppService = "appservice"
	familyARM        = "arm"
	familyVault      = "keyvault"
	familyQueue      = "queue"
	familyWebApps    = "webapps"
	familyGraph      = "graph"
)

// appServiceHost is the host of the App Service identity endpoint.
var appServiceHost = func() string {
	u, err := url.Parse(entra.AppServiceIdentityEndpoint)
	if err != nil {
		panic("sim: bad entra.AppServiceIdentityEndpoint: " + err.Error())
	}
	return u.Hostname()
}()

// hostOnly lower-cases host and strips a port and a trailing dot.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return strings.ToLower(host)
}

// classify returns the host family and, for the globally named families, the
// resource name (the first label). family is "" when the host is not
// simulated.
func classify(host string) (family, name string) {
	host = hostOnly(host)
	for _, h := range entra.Hosts {
		if host == h {
			return familyEntra, ""
		}
	}
	switch host {
	case entra.IMDSHost:
		return familyIMDS, ""
	case appServiceHost:
		return familyAppService, ""
	case HostARM:
		return familyARM, ""
	case graph.Host:
		return familyGraph, ""
	}
	for _, s := range []struct{ suffix, family string }{
		{SuffixVault, familyVault}, {SuffixQueue, familyQueue}, {SuffixWebApps, familyWebApps},
	} {
		if name, ok := strings.CutSuffix(host, s.suffix); ok && name != "" && !strings.Contains(name, ".") {
			return s.family, name
		}
	}
	return serviceUnrouted, ""
}

// Owns reports whether host (with or without port; any case) is a simulated
// Azure host. Names under a resource suffix ({vault}.vault.azure.net, ...)
// are owned whether or not such a resource exists: see Reach.
func (c *Cloud) Owns(host string) bool {
	f, _ := classify(host)
	return f != serviceUnrouted
}

func (c *Cloud) handler(family string) http.Handler {
	switch family {
	case familyEntra:
		return c.svc.Entra
	case familyIMDS:
		return c.svc.IMDS
	case familyAppService:
		return c.svc.AppService
	case familyARM:
		return c.svc.ARM
	case familyVault:
		return c.svc.KeyVault
	case familyQueue:
		return c.svc.Queue
	case familyWebApps:
		return c.svc.WebApps
	case familyGraph:
		return c.svc.Graph
	}
	return nil
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
	family, name := classify(host)
	h := hostOnly(host)
	switch family {
	case serviceUnrouted:
		return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{
			Err: "not a simulated Azure host (the sandbox reaches only its simulated cloud)", Name: h, IsNotFound: true,
		}}
	case familyIMDS, familyAppService:
		// App Service has no IMDS (a VM feature): code on a site reaches only
		// IDENTITY_ENDPOINT, and only sites of kind "vm" answer IMDS.
		//
		// A learner's own program through the proxy may act as code on a
		// site: setting IDENTITY_ENDPOINT and IDENTITY_HEADER to the site's
		// values is how it says so, and the identity endpoint then decides
		// by the header (a wrong or missing one is refused, 401/400). IMDS
		// stays unreachable from the proxy, so DefaultAzureCredential's
		// probe on a workstation still finds no managed identity.
		viaProxyAsSite := family == familyAppService && o.Via == "proxy"
		if (o.Site == "" && !viaProxyAsSite) || (family == familyIMDS && !c.isVM(o)) {
			port := 80
			if family == familyAppService {
				port = 8081
			}
			return &net.OpError{
				Op: "dial", Net: "tcp",
				Addr: &net.TCPAddr{IP: net.ParseIP(h), Port: port},
				Err:  os.NewSyscallError("connect", syscall.EHOSTUNREACH),
			}
		}
	case familyVault, familyQueue, familyWebApps:
		kind := map[string]world.NameKind{familyVault: world.NameVault, familyQueue: world.NameStorage, familyWebApps: world.NameSite}[family]
		if c.reg.ByName(kind, name) == nil {
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
	switch f, _ := classify(host); f {
	case familyIMDS:
		return port == "" || port == "80"
	case familyAppService:
		return port == appServicePort
	}
	return false
}

// appServicePort is the port of the App Service identity endpoint.
var appServicePort = func() string {
	u, err := url.Parse(entra.AppServiceIdentityEndpoint)
	if err != nil {
		panic("sim: bad entra.AppServiceIdentityEndpoint: " + err.Error())
	}
	return u.Port()
}()
