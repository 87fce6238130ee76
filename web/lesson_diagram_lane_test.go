package web

import (
	"testing"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// Microsoft Graph is Entra ID's directory API: its calls go on Entra's
// lifeline, by service name or, failing that, by host.
func TestGraphLane(t *testing.T) {
	for _, tc := range []struct{ service, host string }{{"graph", "graph.microsoft.com"}, {"", "graph.microsoft.com"}} {
		if got := laneOf(tc.service, tc.host); got != ui.LaneEntra {
			t.Errorf("laneOf(%q, %q) = %d, want Entra's lane", tc.service, tc.host, got)
		}
	}
}
