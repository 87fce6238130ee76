// Package service is the one table of the simulated cloud's services: their
// typed names (what the trace records as the answering service) and the host
// names each answers at. The front door routes by it, the trace names
// exchanges by it and the lesson diagram draws its lifelines from it, so no
// caller guesses a service from a host.
package service

import (
	"net"
	"strings"
)

// Name names a service as the trace records it.
type Name string

// The services. The values are stored in traces: do not change them.
const (
	Entra           Name = "entra"            // token service, OIDC discovery, JWKS
	ManagedIdentity Name = "managed-identity" // IMDS and App Service's IDENTITY_ENDPOINT
	ARM             Name = "arm"              // Azure Resource Manager
	Graph           Name = "graph"            // Microsoft Graph
	KeyVault        Name = "keyvault"         // Key Vault's data plane
	Queue           Name = "queue"            // Queue Storage's data plane
	WebApps         Name = "webapp"           // App Service sites
)

// Host names and suffixes of the public cloud.
const (
	HostARM   = "management.azure.com"
	HostGraph = "graph.microsoft.com"
	// HostIMDS is the Azure Instance Metadata Service (virtual machines).
	HostIMDS = "169.254.169.254"
	// HostAppServiceIdentity is App Service's IDENTITY_ENDPOINT host.
	HostAppServiceIdentity = "169.254.129.2"

	SuffixKeyVault = ".vault.azure.net"
	SuffixQueue    = ".queue.core.windows.net"
	SuffixWebApps  = ".azurewebsites.net"
)

// Ports the link-local managed-identity endpoints listen on (plain HTTP).
const (
	PortIMDS               = 80
	PortAppServiceIdentity = 8081
)

// Endpoint is one row of the table: a host (or a family of resource hosts)
// and the service that answers there.
type Endpoint struct {
	Service Name
	// Host is the exact host name; "" for a row of resource hosts.
	Host string
	// Suffix follows the resource's name in a resource host
	// ("{vault}.vault.azure.net"); "" for an exact host.
	Suffix string
	// Port is what a client dials: 443 (HTTPS), or the plain-HTTP port of a
	// link-local managed-identity endpoint.
	Port int
}

// Scheme is "https", or "http" for the plain-HTTP endpoints.
func (e Endpoint) Scheme() string {
	if e.Port == 443 {
		return "https"
	}
	return "http"
}

// table is read only.
var table = [...]Endpoint{
	{Service: Entra, Host: "login.microsoftonline.com", Port: 443},
	{Service: Entra, Host: "login.windows.net", Port: 443},
	{Service: Entra, Host: "login.microsoft.com", Port: 443},
	{Service: Entra, Host: "sts.windows.net", Port: 443},
	{Service: ManagedIdentity, Host: HostIMDS, Port: PortIMDS},
	{Service: ManagedIdentity, Host: HostAppServiceIdentity, Port: PortAppServiceIdentity},
	{Service: ARM, Host: HostARM, Port: 443},
	{Service: Graph, Host: HostGraph, Port: 443},
	{Service: KeyVault, Suffix: SuffixKeyVault, Port: 443},
	{Service: Queue, Suffix: SuffixQueue, Port: 443},
	{Service: WebApps, Suffix: SuffixWebApps, Port: 443},
}

// Names returns every service name, each once, in the table's order.
func Names() []Name {
	var out []Name
	for _, e := range table {
		if len(out) == 0 || out[len(out)-1] != e.Service {
			out = append(out, e.Service)
		}
	}
	return out
}

// EntraHosts are the public-cloud authority hosts the token service answers
// at (login.microsoftonline.com first).
func EntraHosts() []string {
	var out []string
	for _, e := range table {
		if e.Service == Entra {
			out = append(out, e.Host)
		}
	}
	return out
}

// Lookup returns the endpoint host (with or without a port; any case; a
// trailing dot allowed) addresses and, for a resource host, the resource's
// name in lower case. ok is false for a host no service answers at.
func Lookup(host string) (ep Endpoint, resource string, ok bool) {
	host = Canonical(host)
	for _, e := range table {
		if e.Host != "" {
			if host == e.Host {
				return e, "", true
			}
			continue
		}
		if name := cut(host, e.Suffix); name != "" {
			return e, name, true
		}
	}
	return Endpoint{}, "", false
}

// Of returns the service host addresses, or "" when none answers there.
func Of(host string) Name {
	ep, _, _ := Lookup(host)
	return ep.Service
}

// Canonical lower-cases host and strips a port, IPv6 brackets and a trailing
// dot: Azure's host names are case-insensitive.
func Canonical(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return strings.ToLower(host)
}

// HostName returns the resource a host names under suffix ("myvault" for
// "MyVault.vault.azure.net:443" and SuffixKeyVault), or "" when host is not
// one label followed by suffix.
func HostName(host, suffix string) string {
	return cut(Canonical(host), suffix)
}

func cut(host, suffix string) string {
	name, ok := strings.CutSuffix(host, suffix)
	if !ok || name == "" || strings.Contains(name, ".") {
		return ""
	}
	return name
}

// VaultURL is a vault's URL ("https://{vault}.vault.azure.net").
func VaultURL(vault string) string { return "https://" + vault + SuffixKeyVault }

// QueueURL is a queue's URL in a storage account.
func QueueURL(account, queue string) string {
	return "https://" + account + SuffixQueue + "/" + queue
}

// SiteURL is an App Service site's URL.
func SiteURL(site string) string { return "https://" + site + SuffixWebApps }
