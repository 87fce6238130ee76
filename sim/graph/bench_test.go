package graph

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// BenchmarkGetServicePrincipal is one authenticated, authorized read: token
// validation dominates.
func BenchmarkGetServicePrincipal(b *testing.B) {
	e := newEnv(b)
	tok := e.graphToken(e.labelled(scenario.LabelOwner))
	g := New(e.reg, entra.NewValidator(entratest.Keys(b)))
	var id string
	e.w.View(func(st *world.State) { id = st.Labels[scenario.LabelLocalDev] })
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "https://"+service.HostGraph+"/v1.0/servicePrincipals/"+id, strings.NewReader(""))
		req.Header.Set("Authorization", "Bearer "+tok)
		rw := httptest.NewRecorder()
		g.ServeHTTP(rw, req)
		if rw.Code != http.StatusOK {
			b.Fatalf("= %d %s", rw.Code, rw.Body)
		}
	}
}
