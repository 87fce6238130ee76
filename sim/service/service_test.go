package service_test

import (
	"slices"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		host     string
		service  service.Name
		exact    string // Endpoint.Host
		resource string
		scheme   string
	}{
		{"login.microsoftonline.com", service.Entra, "login.microsoftonline.com", "", "https"},
		{"LOGIN.MicrosoftOnline.com:443", service.Entra, "login.microsoftonline.com", "", "https"},
		{"login.windows.net", service.Entra, "login.windows.net", "", "https"},
		{"sts.windows.net", service.Entra, "sts.windows.net", "", "https"},
		{"169.254.169.254", service.ManagedIdentity, service.HostIMDS, "", "http"},
		{"169.254.169.254:80", service.ManagedIdentity, service.HostIMDS, "", "http"},
		{"169.254.129.2:8081", service.ManagedIdentity, service.HostAppServiceIdentity, "", "http"},
		{"management.azure.com", service.ARM, service.HostARM, "", "https"},
		{"kv-anything.vault.azure.net", service.KeyVault, "", "kv-anything", "https"},
		{"KV.vault.azure.net.", service.KeyVault, "", "kv", "https"},
		{"acct.queue.core.windows.net", service.Queue, "", "acct", "https"},
		{"site.azurewebsites.net", service.WebApps, "", "site", "https"},
		{"graph.microsoft.com", service.Graph, service.HostGraph, "", "https"},
		{"GRAPH.microsoft.com:443", service.Graph, service.HostGraph, "", "https"},
		{"vault.azure.net", "", "", "", ""},
		{"a.b.vault.azure.net", "", "", "", ""},
		{"example.com", "", "", "", ""},
		{"acct.blob.core.windows.net", "", "", "", ""},
		{"", "", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			ep, res, ok := service.Lookup(tc.host)
			if ok != (tc.service != "") || ep.Service != tc.service || ep.Host != tc.exact || res != tc.resource {
				t.Fatalf("Lookup = %+v, %q, %v; want %q at %q, resource %q", ep, res, ok, tc.service, tc.exact, tc.resource)
			}
			if ok && ep.Scheme() != tc.scheme {
				t.Errorf("scheme = %q, want %q", ep.Scheme(), tc.scheme)
			}
			if service.Of(tc.host) != tc.service {
				t.Errorf("Of = %q", service.Of(tc.host))
			}
		})
	}
}

func TestHostName(t *testing.T) {
	tests := []struct{ host, want string }{
		{"myvault.vault.azure.net", "myvault"},
		{"MyVault.VAULT.azure.net:443", "myvault"},
		{"myvault.vault.azure.net.", "myvault"},
		{"a.b.vault.azure.net", ""},
		{".vault.azure.net", ""},
		{"vault.azure.net", ""},
		{"myvault.vault.azure.net.evil.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := service.HostName(tt.host, service.SuffixKeyVault); got != tt.want {
				t.Fatalf("HostName(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	got := service.Names()
	want := []service.Name{service.Entra, service.ManagedIdentity, service.ARM, service.Graph,
		service.KeyVault, service.Queue, service.WebApps}
	if !slices.Equal(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	if hosts := service.EntraHosts(); len(hosts) != 4 || hosts[0] != "login.microsoftonline.com" {
		t.Fatalf("EntraHosts = %v", hosts)
	}
}

func TestURLs(t *testing.T) {
	for got, want := range map[string]string{
		service.VaultURL("kv-1"):            "https://kv-1.vault.azure.net",
		service.QueueURL("st1", "messages"): "https://st1.queue.core.windows.net/messages",
		service.SiteURL("main-app-1"):       "https://main-app-1.azurewebsites.net",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
