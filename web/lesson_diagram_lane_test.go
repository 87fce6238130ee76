package web

import (
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

func TestLaneOf(t *testing.T) {
	tests := []struct {
		service service.Name
		host    string
		want    int
	}{
		{service.Entra, "login.microsoftonline.com", ui.LaneEntra},
		// Microsoft Graph is Entra ID's directory API: Entra's lifeline.
		{service.Graph, "graph.microsoft.com", ui.LaneEntra},
		{service.ManagedIdentity, "169.254.129.2:8081", ui.LaneMI},
		{service.ARM, "management.azure.com", ui.LaneARM},
		{service.KeyVault, "kv.vault.azure.net", ui.LaneKeyVault},
		{service.Queue, "st.queue.core.windows.net", ui.LaneStorage},
		{service.WebApps, "api.azurewebsites.net", ui.LaneThirdParty},
		// The front door's own refusals (413) name no service: the host's.
		{"", "graph.microsoft.com", ui.LaneEntra},
		{"", "kv.vault.azure.net:443", ui.LaneKeyVault},
		{"", "example.com", ui.LaneThirdParty},
	}
	for _, tc := range tests {
		if got := laneOf(tc.service, tc.host); got != tc.want {
			t.Errorf("laneOf(%q, %q) = %d, want %d", tc.service, tc.host, got, tc.want)
		}
	}
	for _, n := range service.Names() {
		if _, ok := lanes[n]; !ok {
			t.Errorf("service %q has no lifeline", n)
		}
	}
}
