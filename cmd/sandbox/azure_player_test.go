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
