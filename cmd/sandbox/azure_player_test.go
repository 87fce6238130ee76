package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// playerClient drives a real-mode server's lesson player as the htmx page
// does, authenticated with the sandbox's access key.
type playerClient struct {
	t        *testing.T
	base, id string
	key      string
	lesson   string
}

// step runs a step or action block (POST …/steps/{id}) and returns the
// HTML fragment the page swaps in.
func (c playerClient) step(id string) string {
	c.t.Helper()
	return c.post("/steps/"+id, nil)
}

func (c playerClient) post(path string, form url.Values) string {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+"/sandboxes/"+c.id+"/lessons/"+c.lesson+path, strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return c.read(req)
}

func (c playerClient) page() string {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+"/sandboxes/"+c.id+"/lessons/"+c.lesson, nil)
	req.Header.Set("Authorization", "Bearer "+c.key)
	return c.read(req)
}

func (c playerClient) read(req *http.Request) string {
	c.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		c.t.Fatalf("%s %s = %d %.500s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	return string(b)
}

// trace is the sandbox's trace after seq, from the API.
func (c playerClient) trace(after int64) []trace.Exchange {
	c.t.Helper()
	var tr struct{ Exchanges []trace.Exchange }
	if code := api(c.t, c.base, c.key, "GET", "/api/sandboxes/"+c.id+"/trace", "", &tr); code != 200 {
		c.t.Fatalf("trace = %d", code)
	}
	var out []trace.Exchange
	for _, ex := range tr.Exchanges {
		if ex.Seq > after {
			out = append(out, ex)
		}
	}
	return out
}

func lastSeqOf(exs []trace.Exchange) int64 {
	if len(exs) == 0 {
		return 0
	}
	return exs[len(exs)-1].Seq
}

var checkMet = regexp.MustCompile(`data-check-id="([^"]+)" data-met="(true|false)"`)

// goalItems reads the goal's items from a page: check ID → met.
func goalItems(html string) map[string]bool {
	out := map[string]bool{}
	for _, m := range checkMet.FindAllStringSubmatch(html, -1) {
		out[m[1]] = m[2] == "true"
	}
	return out
}

// Lesson 1 through the player in real mode: the page shows the real
// vault's URL; creating the credential and the client send nothing; reading
// the secret brings the challenge, the token and a 403 from the stand-in's
// Key Vault (its token's oid is localDev's real service principal); the
// grant goes to ARM with the server's identity inside the guard rail; the
// step is retried until Azure answers 200; a wrong secret fails at the
// token request with AADSTS7000215. Every check of the goal is met, read
// from what came back on the wire.
func playLessonOneInRealMode(t *testing.T, base string, sb realSandbox) {
	c := playerClient{t: t, base: base, id: sb.ID, key: sb.AccessKey, lesson: "auth-at-the-call"}
	page := c.page()
	if !strings.Contains(page, sb.Azure.KeyVaultURL) {
		t.Errorf("the page does not show the real vault %s", sb.Azure.KeyVaultURL)
	}
	if !strings.Contains(page, `data-testid="real-mode" data-real="true"`) || !strings.Contains(page, "several minutes") {
		t.Error("the page does not say it runs in real Azure, nor that role changes take minutes")
	}
	if n := strings.Count(page, `data-cloud="real"`); n != 5 {
		t.Errorf("%d steps marked real Azure, want 5", n)
	}
	if !strings.Contains(page, `data-testid="real-panel"`) || strings.Contains(page, `data-testid="panel-clock"`) || strings.Contains(page, `data-testid="panel-delay"`) {
		t.Error("the panel of a real sandbox shows the simulator's clock or propagation controls")
	}
	before := lastSeqOf(c.trace(0))
	for _, s := range []string{"create-credential", "create-client"} {
		c.step(s)
		if exs := c.trace(before); len(exs) != 0 {
			t.Fatalf("%s sent %d requests in real mode", s, len(exs))
		}
	}
	c.step("get-secret")
	exs := c.trace(before)
	if got := shape(exs); !strings.HasPrefix(got, "keyvault GET 401,") || !strings.Contains(got, "entra POST 200") || !strings.HasSuffix(got, "keyvault GET 403") {
		t.Fatalf("get-secret in real mode: %s", got)
	}
	refused := exs[len(exs)-1]
	if !strings.HasPrefix(refused.URL, sb.Azure.KeyVaultURL) || refused.Token == nil || refused.Token.Claims["appid"] != sb.Azure.LocalDev.ClientID {
		t.Errorf("the 403: %s token %+v", refused.URL, refused.Token)
	}
	before = lastSeqOf(exs)

	// The inspector explains the real 403 from the wire.
	req, _ := http.NewRequest("GET", base+"/sandboxes/"+sb.ID+"/lessons/"+c.lesson+"/exchanges/"+itoa(int(refused.Seq)), nil)
	req.Header.Set("Authorization", "Bearer "+sb.AccessKey)
	req.Header.Set("HX-Request", "true")
	insp := c.read(req)
	for _, want := range []string{"explained from real Azure", "Microsoft.KeyVault/vaults/secrets/getSecret/action", "Key Vault Secrets User", `data-testid="apply-fix"`} {
		if !strings.Contains(insp, want) {
			t.Errorf("the inspector of the real 403 lacks %q", want)
		}
	}

	out := c.step("grant-role")
	if !strings.Contains(out, "Key Vault Secrets User") {
		t.Errorf("grant-role said: %.300s", out)
	}
	exs = c.trace(before)
	if got := shape(exs); !strings.HasPrefix(got, "arm PUT 20") {
		t.Fatalf("grant-role in real mode: %s", got)
	}
	if exs[0].Token != nil || !strings.Contains(exs[0].URL, "/resourceGroups/"+sb.Azure.ResourceGroup+"/") {
		t.Errorf("the grant: %s (server token decoded: %v)", exs[0].URL, exs[0].Token != nil)
	}
	before = lastSeqOf(exs)

	// Role propagation is real: the step is retried until Azure answers.
	ok := false
	for deadline := time.Now().Add(30 * time.Second); !ok && time.Now().Before(deadline); {
		ok = strings.Contains(c.step("get-secret"), `data-ok="true"`)
		if !ok {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if !ok {
		t.Fatalf("get-secret after the grant never succeeded: %s", shape(c.trace(before)))
	}
	if got := shape(c.trace(before)); !strings.HasSuffix(got, "keyvault GET 200") {
		t.Errorf("after the grant: %s", got)
	}

	// The panel removes the role in Azure; the 403 comes back, and its
	// fix (from the wire's explanation) grants it again through ARM.
	before = lastSeqOf(c.trace(0))
	panel := c.post("/panel/removeRole", url.Values{"principal": {"localDev"}, "role": {"Key Vault Secrets User"}, "scope": {"vault"}})
	if got := shape(c.trace(before)); !strings.Contains(got, "arm DELETE 200") || !strings.Contains(panel, "removed Key Vault Secrets User") {
		var last trace.Exchange
		if exs := c.trace(before); len(exs) > 0 {
			last = exs[len(exs)-1]
		}
		t.Fatalf("panel removeRole in real mode: %s\n%s %s\n%.600s\n%.300s", got, last.Method, last.URL, last.ResponseBody, panel)
	}
	var again int64
	for deadline := time.Now().Add(30 * time.Second); again == 0 && time.Now().Before(deadline); {
		c.step("get-secret")
		for _, ex := range c.trace(before) {
			if ex.Service == "keyvault" && ex.Status == 403 {
				again = ex.Seq
			}
		}
	}
	if again == 0 {
		t.Fatalf("no 403 after the removal: %s", shape(c.trace(before)))
	}
	fix := c.post("/fix", url.Values{"seq": {itoa(int(again))}})
	if !strings.Contains(fix, "Fix applied") {
		t.Errorf("the fix of a real 403: %.300s", fix)
	}
	ok = false
	for deadline := time.Now().Add(30 * time.Second); !ok && time.Now().Before(deadline); {
		ok = strings.Contains(c.step("get-secret"), `data-ok="true"`)
	}
	if !ok {
		t.Fatalf("get-secret after the fix never succeeded: %s", shape(c.trace(before)))
	}

	c.step("wrong-secret")
	before = lastSeqOf(c.trace(0))
	for _, s := range []string{"create-credential", "create-client"} {
		c.step(s)
	}
	if n := len(c.trace(before)); n != 0 {
		t.Errorf("a credential with a wrong secret sent %d requests on creation", n)
	}
	c.step("get-secret")
	var refusedToken *trace.Exchange
	for _, ex := range c.trace(before) {
		if ex.Service == "entra" && ex.Status >= 400 {
			refusedToken = &ex
		}
	}
	if refusedToken == nil || refusedToken.Authn == nil || refusedToken.Authn.Code != "AADSTS7000215" {
		t.Fatalf("wrong secret in real mode: %s", shape(c.trace(before)))
	}

	goal := goalItems(c.page())
	for _, id := range []string{"credential-silent", "client-silent", "refused-at-call", "role-granted", "allowed-after-fix", "wrong-secret-at-call"} {
		if !goal[id] {
			t.Errorf("goal item %s not met in real mode: %v", id, goal)
		}
	}
}

// lastOf is the last exchange of service in exs (nil when none).
func lastOf(exs []trace.Exchange, service string) *trace.Exchange {
	var out *trace.Exchange
	for i := range exs {
		if string(exs[i].Service) == service {
			out = &exs[i]
		}
	}
	return out
}

// run runs a block and returns the exchanges it made, failing when it
// reached anything but the sandbox's real resources.
func (c playerClient) run(sb realSandbox, id string) (string, []trace.Exchange) {
	c.t.Helper()
	before := lastSeqOf(c.trace(0))
	out := c.step(id)
	exs := c.trace(before)
	for _, ex := range exs {
		switch string(ex.Service) {
		case "keyvault":
			if !strings.HasPrefix(ex.URL, sb.Azure.KeyVaultURL) {
				c.t.Errorf("%s/%s reached %s, not the real vault", c.lesson, id, ex.URL)
			}
		case "arm":
			if !strings.Contains(ex.URL, "/resourceGroups/"+sb.Azure.ResourceGroup+"/") {
				c.t.Errorf("%s/%s changed %s, outside the sandbox's resource group", c.lesson, id, ex.URL)
			}
		}
	}
	return out, exs
}

// retry runs a block until its last answer from service has the status
// (role changes propagate in real Azure), returning that exchange.
func (c playerClient) retry(sb realSandbox, id, service string, status int) *trace.Exchange {
	c.t.Helper()
	var got []trace.Exchange
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		_, got = c.run(sb, id)
		if ex := lastOf(got, service); ex != nil && ex.Status == status {
			return ex
		}
	}
	c.t.Fatalf("%s/%s never answered %d: %s", c.lesson, id, status, shape(got))
	return nil
}

// The workstation parts of lessons 3, 4 and 8 through the player in real
// mode, in the sandbox lesson 1 left with localDev holding Key Vault
// Secrets User on the vault. Each declared step reaches only the sandbox's
// real vault and resource group; the steps that need the simulator say so.
func playWorkstationLessonsInRealMode(t *testing.T, base string, sb realSandbox) {
	t.Run("roles", func(t *testing.T) {
		c := playerClient{t: t, base: base, id: sb.ID, key: sb.AccessKey, lesson: "roles"}
		page := c.page()
		if !strings.Contains(page, `data-cloud="simulated"`) || !strings.Contains(page, "simulated: it needs the simulator") {
			t.Error("lesson 3's simulator-only blocks do not say they stay simulated")
		}
		if n := strings.Count(page, `data-testid="step-hidden"`); n != 2 || !strings.Contains(page, "its clock and its role propagation are real") {
			t.Errorf("lesson 3's two clock moves offered in real mode (%d hidden)", n)
		}
		c.run(sb, "create-credential")
		c.run(sb, "create-client")
		c.retry(sb, "get-secret", "keyvault", 200)
		_, exs := c.run(sb, "grant-rg")
		if got := shape(exs); !strings.HasPrefix(got, "arm PUT 20") {
			t.Errorf("grant-rg in real mode: %s", got)
		}
		// Secrets User (on the vault and now the group) reads, never writes.
		_, exs = c.run(sb, "set-secret")
		if ex := lastOf(exs, "keyvault"); ex == nil || ex.Method != "PUT" || ex.Status != 403 {
			t.Errorf("set-secret with Secrets User in real mode: %s", shape(exs))
		}
		if goal := goalItems(c.page()); !goal["rg-role"] || !goal["least-privilege"] {
			t.Errorf("lesson 3's real goal items: %v", goal)
		}
	})
	t.Run("access policies", func(t *testing.T) {
		c := playerClient{t: t, base: base, id: sb.ID, key: sb.AccessKey, lesson: "access-policies"}
		c.page() // its setup (the role localDev already holds) runs in Azure
		c.run(sb, "create-credential")
		c.run(sb, "create-client")
		c.retry(sb, "get-secret", "keyvault", 200)
		if _, exs := c.run(sb, "to-policies"); !strings.HasPrefix(shape(exs), "arm PATCH 200") {
			t.Errorf("to-policies in real mode: %s", shape(exs))
		}
		c.retry(sb, "get-secret", "keyvault", 403) // the role no longer counts
		if _, exs := c.run(sb, "add-policy"); !strings.Contains(shape(exs), "arm PUT 200") {
			t.Errorf("add-policy in real mode: %s", shape(exs))
		}
		c.retry(sb, "get-secret", "keyvault", 200)
		c.run(sb, "to-rbac")
		c.retry(sb, "get-secret", "keyvault", 200)
		goal := goalItems(c.page())
		for _, id := range []string{"policy-granted", "role-ignored", "policy-allowed", "back-to-rbac"} {
			if !goal[id] {
				t.Errorf("lesson 4 goal item %s not met from the wire: %v", id, goal)
			}
		}
	})
	t.Run("troubleshooting", func(t *testing.T) {
		c := playerClient{t: t, base: base, id: sb.ID, key: sb.AccessKey, lesson: "troubleshooting"}
		page := c.page()
		if !strings.Contains(page, "simulated: it runs code on Azure compute") {
			t.Error("lesson 8's site steps do not say they stay simulated")
		}
		c.run(sb, "break-tenant")
		c.run(sb, "create-credential")
		_, exs := c.run(sb, "tenant-token")
		if ex := lastOf(exs, "entra"); ex == nil || ex.Status != 400 || ex.Authn == nil || ex.Authn.Code != "AADSTS90002" {
			t.Errorf("a token from a tenant that does not exist, in real mode: %s %+v", shape(exs), ex)
		}
		c.run(sb, "fix-tenant")
		c.run(sb, "create-credential")
		if _, exs := c.run(sb, "storage-token"); lastOf(exs, "entra") == nil || lastOf(exs, "entra").Status != 200 {
			t.Errorf("storage-token in real mode: %s", shape(exs))
		}
		if _, exs := c.run(sb, "send-token"); lastOf(exs, "keyvault") == nil || lastOf(exs, "keyvault").Status != 401 {
			t.Errorf("a Storage token sent to Key Vault in real mode: %s", shape(exs))
		}
		// Lesson 3 left localDev the role on the resource group: the panel
		// removes it in Azure, so the vault drill starts as the lesson does.
		c.post("/panel/removeRole", url.Values{"principal": {"localDev"}, "role": {"Key Vault Secrets User"}, "scope": {"resourceGroup"}})
		c.run(sb, "remove-vault-role")
		c.run(sb, "remove-vault-role") // nothing left: not an error
		c.run(sb, "wrong-scope")
		c.run(sb, "create-credential")
		c.run(sb, "create-client")
		c.retry(sb, "get-secret", "keyvault", 403)
		c.run(sb, "fix-scope")
		c.retry(sb, "get-secret", "keyvault", 200)
	})
}

// Lesson 5's workstation part in real mode: the development service
// principal is registered through Graph (application, service principal,
// password: the requests are in the trace), granted through ARM and read
// with; deleting it makes the next token request fail with the AADSTS code
// Entra sends for an app that no longer exists; a replacement works again.
// Signing in as the developer user and the site stay simulated.
func playLessonFiveInRealMode(t *testing.T, base string, sb realSandbox) {
	c := playerClient{t: t, base: base, id: sb.ID, key: sb.AccessKey, lesson: "identity-for-development"}
	page := c.page()
	if !strings.Contains(page, "simulated: it runs code on Azure compute") || !strings.Contains(page, "simulated: it needs the simulator") {
		t.Error("lesson 5's sign-in as yourself and site steps do not say they stay simulated")
	}
	createsApp := func(id string) {
		t.Helper()
		out, exs := c.run(sb, id)
		var graph []string
		for _, ex := range exs {
			if ex.Service == "graph" {
				graph = append(graph, ex.Method+" "+strings.TrimPrefix(ex.URL, "https://graph.microsoft.com")+" "+itoa(ex.Status))
				if strings.HasSuffix(ex.URL, "/addPassword") && !strings.Contains(ex.ResponseBody, `"secretText":"`) || strings.Contains(ex.ResponseBody, "secretText") && !strings.Contains(ex.ResponseBody, trace.Masked) {
					t.Errorf("%s: the new password is not masked in the trace: %.300s", id, ex.ResponseBody)
				}
			}
		}
		got := strings.Join(graph, ", ")
		if len(graph) != 3 || !strings.HasPrefix(got, "POST /v1.0/applications 201, POST /v1.0/servicePrincipals 201, POST /v1.0/applications/") ||
			!strings.HasSuffix(got, "/addPassword 200") {
			t.Errorf("%s in real mode: Graph %s (all: %s)\n%.400s", id, got, shape(exs), out)
		}
	}
	createsApp("create-dev-sp")
	if _, exs := c.run(sb, "grant-dev"); !strings.HasPrefix(shape(exs), "arm PUT 20") {
		t.Errorf("grant-dev in real mode: %s", shape(exs))
	}
	c.run(sb, "env-dev")
	c.run(sb, "dev-credential")
	c.run(sb, "dev-client")
	ok := c.retry(sb, "dev-get", "keyvault", 200)
	if ok.Token == nil || ok.Token.Claims["appid"] == sb.Azure.LocalDev.ClientID {
		t.Errorf("dev-get read as localDev, not the new development principal: %+v", ok.Token)
	}
	if _, exs := c.run(sb, "delete-dev"); !strings.HasPrefix(shape(exs), "graph DELETE 204") {
		t.Errorf("delete-dev in real mode: %s", shape(exs))
	}
	c.run(sb, "dev-credential")
	c.run(sb, "dev-client")
	_, exs := c.run(sb, "dev-get")
	if ex := lastOf(exs, "entra"); ex == nil || ex.Status < 400 || ex.Authn == nil || ex.Authn.Code != "AADSTS700016" {
		t.Errorf("dev-get after the app was deleted: %s %+v", shape(exs), ex)
	}
	createsApp("create-new-sp")
	c.run(sb, "grant-new")
	c.run(sb, "env-new")
	c.run(sb, "dev-credential")
	c.run(sb, "dev-client")
	c.retry(sb, "dev-get", "keyvault", 200)
	goal := goalItems(c.page())
	for _, id := range []string{"dev-works", "revoked", "replaced"} {
		if !goal[id] {
			t.Errorf("lesson 5 goal item %s not met from the wire: %v", id, goal)
		}
	}
}
