package entra

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// post sends a form to the token endpoint through the handler, with the
// trace notes a front door would attach.
func post(s *sim, tenant string, form url.Values) (*httptest.ResponseRecorder, *trace.Notes) {
	req := httptest.NewRequest(http.MethodPost, "https://login.microsoftonline.com/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("client-request-id", "11111111-2222-3333-4444-555555555555")
	n := &trace.Notes{}
	req = req.WithContext(trace.WithNotes(req.Context(), n))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec, n
}

var (
	guidRE  = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	stampRE = `\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ`
)

// assertSTSError checks the complete Entra error shape.
func assertSTSError(t *testing.T, rec *httptest.ResponseRecorder, status int, oauthErr string, code int, text string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("content-type %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "correlation_id,error,error_codes,error_description,error_uri,timestamp,trace_id" {
		t.Fatalf("fields %s", got)
	}
	codeS := itoa(code)
	desc := body["error_description"].(string)
	re := regexp.MustCompile(`^AADSTS` + codeS + `: ` + regexp.QuoteMeta(text) + `\r\nTrace ID: (` + guidRE + `)\r\nCorrelation ID: 11111111-2222-3333-4444-555555555555\r\nTimestamp: (` + stampRE + `)$`)
	m := re.FindStringSubmatch(desc)
	if m == nil {
		t.Fatalf("error_description %q\nwant text %q", desc, text)
	}
	codes, _ := body["error_codes"].([]any)
	if body["error"] != oauthErr || len(codes) != 1 || codes[0] != float64(code) || body["trace_id"] != m[1] ||
		body["timestamp"] != m[2] || body["correlation_id"] != "11111111-2222-3333-4444-555555555555" ||
		body["error_uri"] != "https://login.microsoftonline.com/error?code="+codeS {
		t.Fatalf("body %v", body)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-errors")
	tid := w.TenantID()
	appID, secret := keychain(w, scenario.LabelLocalDev)
	var tenantName string
	w.View(func(st *world.State) { tenantName = st.TenantName })
	cc := func(kv ...string) url.Values {
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret},
			"scope": {"https://vault.azure.net/.default openid offline_access profile"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				f.Del(kv[i])
			} else {
				f.Set(kv[i], kv[i+1])
			}
		}
		return f
	}
	cases := []struct {
		name     string
		tenant   string
		form     url.Values
		status   int
		oauthErr string
		code     int
		text     string
	}{
		{"unknown resource", tid, cc("scope", "https://example.com/.default openid offline_access profile"), 400, "invalid_resource", 500011,
			"The resource principal named https://example.com was not found in the tenant named " + tenantName + ". This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."},
		{"scope without .default", tid, cc("scope", "https://vault.azure.net/secrets.read"), 400, "invalid_scope", 1002012,
			"The provided value for scope https://vault.azure.net/secrets.read is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."},
		{"two resources", tid, cc("scope", "https://vault.azure.net/.default https://storage.azure.com/.default"), 400, "invalid_scope", 70011,
			"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope https://vault.azure.net/.default https://storage.azure.com/.default is not valid."},
		{"missing grant_type", tid, cc("grant_type", ""), 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."},
		{"missing client_id", tid, cc("client_id", ""), 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."},
		{"missing scope", tid, cc("scope", ""), 400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."},
		{"missing secret", tid, cc("client_secret", ""), 401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."},
		{"unsupported grant", tid, cc("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), 400, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type 'urn:ietf:params:oauth:grant-type:device_code'."},
		{"wrong secret", tid, cc("client_secret", "x"), 401, "invalid_client", 7000215,
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + appID + "'."},
		{"unknown app", tid, cc("client_id", "00000000-0000-0000-0000-000000000001"), 400, "unauthorized_client", 700016,
			"Application with identifier '00000000-0000-0000-0000-000000000001' was not found in the directory '" + tenantName + "'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."},
		{"unknown tenant", "00000000-0000-0000-0000-000000000002", cc(), 400, "invalid_request", 90002,
			"Tenant '00000000-0000-0000-0000-000000000002' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."},
		{"common tenant", "common", cc(), 400, "invalid_request", 50059,
			"No tenant-identifying information found in either the request or implied by any provided credentials."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, n := post(s, tc.tenant, tc.form)
			assertSTSError(t, rec, tc.status, tc.oauthErr, tc.code, tc.text)
			if n.Authn == nil || n.Authn.OK || n.Authn.Code != "AADSTS"+itoa(tc.code) || n.Authn.Reason == "" {
				t.Fatalf("notes %+v %+v", n, n.Authn)
			}
		})
	}

	t.Run("success shape", func(t *testing.T) {
		rec, n := post(s, tid, cc())
		var body map[string]any
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if _, ok := body["scope"]; ok {
			t.Fatal("response has a scope field")
		}
		if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || body["ext_expires_in"] != float64(3599) || len(body) != 4 {
			t.Fatalf("body %v", body)
		}
		if rec.Header().Get("Cache-Control") != "no-store, no-cache" {
			t.Fatalf("headers %v", rec.Header())
		}
		if n.SandboxID != w.ID() || !n.Authn.OK || n.Issued == nil || n.Issued.Claims["appid"] != appID {
			t.Fatalf("notes %+v", n)
		}
	})
}

func TestDiscoveryDocuments(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-disco")
	tid := w.TenantID()
	var domain string
	w.View(func(st *world.State) { domain = st.TenantDomain })
	get := func(u string) (*httptest.ResponseRecorder, map[string]any) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec, m
	}
	for _, tenant := range []string{tid, domain} {
		rec, doc := get("https://login.microsoftonline.com/" + tenant + "/v2.0/.well-known/openid-configuration")
		if rec.Code != 200 || rec.Header().Get("Cache-Control") != "max-age=86400, private" ||
			doc["issuer"] != "https://login.microsoftonline.com/"+tid+"/v2.0" ||
			doc["token_endpoint"] != "https://login.microsoftonline.com/"+tid+"/oauth2/v2.0/token" ||
			doc["jwks_uri"] != "https://login.microsoftonline.com/"+tid+"/discovery/v2.0/keys" ||
			doc["authorization_endpoint"] != "https://login.microsoftonline.com/"+tid+"/oauth2/v2.0/authorize" {
			t.Fatalf("%d %v", rec.Code, doc)
		}
	}
	_, v1 := get("https://sts.windows.net/" + tid + "/.well-known/openid-configuration")
	if v1["issuer"] != "https://sts.windows.net/"+tid+"/" || v1["token_endpoint"] != "https://sts.windows.net/"+tid+"/oauth2/token" {
		t.Fatalf("v1 %v", v1)
	}
	rec, inst := get("https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
		url.QueryEscape("https://login.microsoftonline.com/"+tid+"/oauth2/v2.0/authorize"))
	if rec.Code != 200 || inst["tenant_discovery_endpoint"] != "https://login.microsoftonline.com/"+tid+"/v2.0/.well-known/openid-configuration" || inst["api-version"] != "1.1" {
		t.Fatalf("instance %v", inst)
	}
	rec, _ = get("https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
		url.QueryEscape("https://evil.example.com/"+tid+"/oauth2/v2.0/authorize"))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "invalid_instance") || !strings.Contains(rec.Body.String(), "AADSTS50049") {
		t.Fatalf("bad instance: %d %s", rec.Code, rec.Body)
	}
	for _, u := range []string{"/" + tid + "/discovery/v2.0/keys", "/" + tid + "/discovery/keys", "/common/discovery/keys", "/common/discovery/v2.0/keys"} {
		rec, doc := get("https://login.microsoftonline.com" + u)
		keys, _ := doc["keys"].([]any)
		if rec.Code != 200 || len(keys) == 0 {
			t.Fatalf("%s: %d %s", u, rec.Code, rec.Body)
		}
	}
	rec, _ = get("https://login.microsoftonline.com/nope.onmicrosoft.com/v2.0/.well-known/openid-configuration")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "AADSTS90002") {
		t.Fatalf("unknown tenant: %d %s", rec.Code, rec.Body)
	}
}

func TestV1TokenEndpointAndOrganizations(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-v1")
	appID, secret := keychain(w, scenario.LabelLocalDev)
	req := httptest.NewRequest(http.MethodPost, "https://login.microsoftonline.com/"+w.TenantID()+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret},
			"resource": {"https://management.azure.com/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 200 || body["expires_in"] != "3599" || body["resource"] != ResourceARM {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	user := principal(t, w, scenario.LabelDeveloper)
	_, password := keychain(w, scenario.LabelDeveloper)
	rec, n := post(s, "organizations", url.Values{"grant_type": {"password"}, "client_id": {AzureCLIClientID},
		"username": {user.UserPrincipalName}, "password": {password}, "scope": {"https://vault.azure.net/.default"}, "client_info": {"1"}})
	if rec.Code != 200 || n.SandboxID != w.ID() || jsonField(t, rec.Body.Bytes(), "client_info") == "" || jsonField(t, rec.Body.Bytes(), "id_token") == "" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestNormalizeResourceGraph(t *testing.T) {
	for _, in := range []string{"https://graph.microsoft.com/.default", "https://graph.microsoft.com/", "HTTPS://GRAPH.MICROSOFT.COM", GraphAppID} {
		if got, ok := NormalizeResource(in); !ok || got != ResourceGraph {
			t.Errorf("NormalizeResource(%q) = %q, %v", in, got, ok)
		}
	}
}

// The decoded token the token endpoints hand the trace is built from the
// claims signed; it must be exactly what trace.DecodeJWT reads back from the
// token, for every kind of principal and for names JSON escapes or rewrites.
func TestIssuedDecodedIsTheTokenReadBack(t *testing.T) {
	// A fixed clock: the two issues below must agree on exp, which a second
	// ticking between them would move.
	w := newWorld(t, world.NewRegistry(fixedClock{time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, nil), "sbx-decoded")
	iss := NewIssuer(testKeys())
	user := principal(t, w, scenario.LabelDeveloper)
	odd := *user
	odd.DisplayName, odd.UserPrincipalName = `<b>"Ann" & Bob</b> \ é 😀`, "ann+x@contoso.example"
	bad := *user
	bad.DisplayName = "bad \xff\xfe utf-8"
	uami := *principal(t, w, scenario.LabelMainApp)
	uami.Kind, uami.ResourceID = world.KindUserAssigned, "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
	for _, tc := range []struct {
		name string
		p    *world.Principal
		o    IssueOptions
	}{
		{"app", principal(t, w, scenario.LabelLocalDev), IssueOptions{Resource: ResourceStorage, AppIDACR: ACRSecret}},
		{"user", user, IssueOptions{Resource: ResourceARM}},
		{"user through an app", user, IssueOptions{Resource: ResourceGraph, ClientID: "11111111-2222-3333-4444-555555555555"}},
		{"user with escaped name", &odd, IssueOptions{Resource: ResourceKeyVault}},
		{"user with invalid UTF-8", &bad, IssueOptions{Resource: ResourceKeyVault}},
		{"system-assigned identity", principal(t, w, scenario.LabelMainApp), IssueOptions{Resource: ResourceKeyVault}},
		{"user-assigned identity", &uami, IssueOptions{Resource: ResourceStorage, Lifetime: time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := iss.issue(w, tc.p, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			want := trace.DecodeJWT(got.token)
			if want == nil || !reflect.DeepEqual(got.decoded.Header, want.Header) || !reflect.DeepEqual(got.decoded.Claims, want.Claims) {
				t.Fatalf("decoded %#v\nread back %#v", got.decoded, want)
			}
			// The JSON handed to the trace's store is json.Marshal of the
			// token read back; every valid token carries it.
			wantJSON, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			switch gotJSON := got.decoded.JSON(); {
			case gotJSON == nil && tc.name != "user with invalid UTF-8":
				t.Fatal("the decoded token carries no JSON")
			case gotJSON != nil && string(gotJSON) != string(wantJSON):
				t.Fatalf("decoded token's JSON\n%s\njson.Marshal of the token read back\n%s", gotJSON, wantJSON)
			}
			tok, exp, err := iss.IssueWith(w, tc.p, tc.o)
			if err != nil || !exp.Equal(got.exp) || tok == got.token {
				t.Fatalf("IssueWith: %v exp %v (issue: %v); a token must not repeat", err, exp, got.exp)
			}
		})
	}
}

// A client-credentials answer on the wire: Entra's headers, exactly, and the
// body json.Marshal writes for the map of its four members (sorted keys, as
// the other grants' answers are written), holding the token issued.
func TestClientCredentialsAnswerOnTheWire(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-wire")
	appID, secret := keychain(w, scenario.LabelLocalDev)
	rec, n := post(s, w.TenantID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
		"client_secret": {secret}, "scope": {"https://vault.azure.net/.default"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	h := rec.Header()
	if !regexp.MustCompile(`^` + guidRE + `$`).MatchString(h.Get("X-Ms-Request-Id")) {
		t.Fatalf("x-ms-request-id %q", h.Get("X-Ms-Request-Id"))
	}
	h.Del("X-Ms-Request-Id")
	want := http.Header{
		"Cache-Control":             {"no-store, no-cache"},
		"Pragma":                    {"no-cache"},
		"Expires":                   {"-1"},
		"Strict-Transport-Security": {"max-age=31536000; includeSubDomains"},
		"X-Content-Type-Options":    {"nosniff"},
		"X-Ms-Ests-Server":          {"2.1.sandbox"},
		"Client-Request-Id":         {"11111111-2222-3333-4444-555555555555"},
		"Content-Type":              {"application/json; charset=utf-8"},
		"Content-Length":            {strconv.Itoa(rec.Body.Len())},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("headers\n%v\nwant\n%v", h, want)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	tok, _ := m["access_token"].(string)
	wantBody, _ := json.Marshal(map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
	if rec.Body.String() != string(wantBody) {
		t.Fatalf("body\n%s\nwant\n%s", rec.Body, wantBody)
	}
	if d := trace.DecodeJWT(tok); d == nil || n.Issued == nil || !reflect.DeepEqual(d.Claims, n.Issued.Claims) {
		t.Fatalf("the answer's token %v is not the one noted for the trace %v", d, n.Issued)
	}
}
