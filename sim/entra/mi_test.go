package entra

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestIMDSWire(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-imds-wire")
	mi := principal(t, w, scenario.LabelMainApp)
	onSite := world.Origin{SandboxID: w.ID(), Via: "runner", Site: mainSite(w)}
	const base = "http://169.254.169.254/metadata/identity/oauth2/token"
	cases := []struct {
		name, query string
		metadata    bool
		origin      world.Origin
		status      int
		want        string // substring of the body
	}{
		{"ok", "?api-version=2018-02-01&resource=https://vault.azure.net", true, onSite, 200, `"expires_in":"86399"`},
		{"probe without header", "", false, onSite, 400, `{"error":"bad_request_102","error_description":"Required metadata header not specified"}`},
		{"no api-version", "?resource=https://vault.azure.net", true, onSite, 400, "api-version"},
		{"no resource", "?api-version=2018-02-01", true, onSite, 400, "'resource'"},
		{"by client id", "?api-version=2018-02-01&resource=https://vault.azure.net&client_id=" + mi.AppID, true, onSite, 200, `"client_id":"` + mi.AppID + `"`},
		{"by resource id", "?api-version=2018-02-01&resource=https://vault.azure.net&msi_res_id=" + mi.ResourceID, true, onSite, 200, `"token_type":"Bearer"`},
		{"wrong object id", "?api-version=2018-02-01&resource=https://vault.azure.net&object_id=" + world.NewGUID(), true, onSite, 400, `{"error":"invalid_request","error_description":"Identity not found"}`},
		{"workstation", "?api-version=2018-02-01&resource=https://vault.azure.net", true, world.Origin{Via: "runner"}, 400, "Identity not found"},
		{"other sandbox's site", "?api-version=2018-02-01&resource=https://vault.azure.net", true, world.Origin{SandboxID: "someone-else", Site: onSite.Site}, 400, "Identity not found"},
		{"unknown resource", "?api-version=2018-02-01&resource=https://example.com", true, onSite, 400, "AADSTS500011"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, base+tc.query, nil)
			if tc.metadata {
				req.Header.Set("Metadata", "true")
			}
			n := &trace.Notes{}
			req = req.WithContext(trace.WithNotes(world.WithOrigin(req.Context(), tc.origin), n))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if n.Authn == nil || n.Authn.OK != (tc.status == 200) || n.Authn.Reason == "" {
				t.Fatalf("notes %+v %+v", n, n.Authn)
			}
			if tc.status != 200 {
				return
			}
			var body map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			for _, k := range []string{"expires_in", "expires_on", "not_before", "ext_expires_in"} {
				if _, ok := body[k].(string); !ok {
					t.Errorf("%s is not a string: %v", k, body[k])
				}
			}
			if body["resource"] != "https://vault.azure.net" || n.SandboxID != w.ID() || n.Issued.Claims["xms_mirid"] != mi.ResourceID {
				t.Fatalf("body %v notes %+v", body, n)
			}
		})
	}
}

func TestAppServiceWire(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-appsvc-wire")
	var header string
	w.View(func(st *world.State) { header = st.Site(mainSite(w)).IdentityHeader })
	cases := []struct {
		name, query, header string
		status              int
		want                string
	}{
		{"ok", "?api-version=2019-08-01&resource=https://vault.azure.net", header, 200, `"expires_on":"`},
		{"missing header", "?api-version=2019-08-01&resource=https://vault.azure.net", "", 400, `"statusCode":400`},
		{"wrong header", "?api-version=2019-08-01&resource=https://vault.azure.net", "nope", 401, `"statusCode":401`},
		{"old api-version", "?api-version=2017-09-01&resource=https://vault.azure.net", header, 400, "api-version"},
		{"no resource", "?api-version=2019-08-01", header, 400, "Resource is required"},
		{"wrong principal", "?api-version=2019-08-01&resource=https://vault.azure.net&principal_id=" + world.NewGUID(), header, 400, "No managed identity found for specified ClientId/ResourceId/PrincipalId."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, AppServiceIdentityEndpoint+tc.query, nil)
			if tc.header != "" {
				req.Header.Set("X-IDENTITY-HEADER", tc.header)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
		})
	}
	t.Run("site without identity", func(t *testing.T) {
		var h2 string
		_ = w.Update(context.Background(), func(tx *world.Tx) error {
			site, err := tx.NewSite(scenario.ResourceGroup, "plain-"+w.ID(), "app")
			h2 = site.IdentityHeader
			return err
		})
		req := httptest.NewRequest(http.MethodGet, AppServiceIdentityEndpoint+"?api-version=2019-08-01&resource=https://vault.azure.net", nil)
		req.Header.Set("X-IDENTITY-HEADER", h2)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "Unable to load requested managed identity.") {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
}

// TestManagedIdentityTwoSandboxesOneProcess: msal-go keeps one process-wide
// cache of managed-identity tokens keyed by identity kind and resource, so
// two learners' system-assigned identities in one process would share a
// token. With RunnerLifetime capped at 5 minutes MSAL never caches, and each
// credential gets its own sandbox's token, concurrently.
func TestManagedIdentityTwoSandboxesOneProcess(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	s.mi.RunnerLifetime = 5 * time.Minute
	worlds := []*world.World{newWorld(t, reg, "sbx-mi-a"), newWorld(t, reg, "sbx-mi-b")}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for round := 0; round < 5; round++ {
		for _, w := range worlds {
			wg.Add(1)
			go func(w *world.World) {
				defer wg.Done()
				o := world.Origin{SandboxID: w.ID(), Via: "runner", Site: mainSite(w)}
				cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: s.clientOptionsFrom(o)})
				if err != nil {
					errs <- err
					return
				}
				// A resource no other test asks a managed identity for.
				at, err := getToken(t, cred, "https://management.core.windows.net/.default")
				if err != nil {
					errs <- err
					return
				}
				if _, verr := NewValidator(s.keys).Validate(at.Token, w, ResourceARM); verr != nil {
					errs <- verr
				}
			}(w)
		}
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The endpoint the sim hands to code on a site must name the port the front
// door serves the identity host on; the two are spelled in two packages.
func TestAppServiceIdentityEndpointPort(t *testing.T) {
	u, err := url.Parse(AppServiceIdentityEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != service.HostAppServiceIdentity || u.Port() != strconv.Itoa(service.PortAppServiceIdentity) {
		t.Errorf("AppServiceIdentityEndpoint = %s, want host %s port %d", AppServiceIdentityEndpoint, service.HostAppServiceIdentity, service.PortAppServiceIdentity)
	}
}
