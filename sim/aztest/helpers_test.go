package aztest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim"
	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/proxy"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// RSA key and CA generation are slow: the tests share one of each.
var (
	fixturesOnce sync.Once
	sharedKeys   *entra.KeySet
	sharedCA     *proxy.CA
	fixturesErr  error
)

func fixtures(tb testing.TB) (*entra.KeySet, *proxy.CA) {
	tb.Helper()
	fixturesOnce.Do(func() {
		if sharedKeys, fixturesErr = entra.GenerateKeySet(); fixturesErr != nil {
			return
		}
		sharedCA, fixturesErr = proxy.NewCA()
	})
	if fixturesErr != nil {
		tb.Fatal(fixturesErr)
	}
	return sharedKeys, sharedCA
}

// azPath finds az: skipped without it, except in CI where that fails.
func azPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("az")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("az (Debian's azure-cli) is required in CI: %v", err)
		}
		t.Skipf("az not found on PATH (install Debian's azure-cli): %v", err)
	}
	return p
}

// az builds its command index in a fresh AZURE_CONFIG_DIR by loading every
// command module (seconds); the tests build it once and copy it.
var (
	indexOnce sync.Once
	indexDir  string
)

// seedConfig copies the shared command index into dir.
func seedConfig(t *testing.T, azBin, dir string) {
	t.Helper()
	indexOnce.Do(func() {
		d, err := os.MkdirTemp("", "aztest-index-")
		if err != nil {
			return
		}
		cmd := exec.Command(azBin, "account", "list", "--output", "none")
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + d, "AZURE_CONFIG_DIR=" + d, "AZURE_CORE_COLLECT_TELEMETRY=no"}
		_ = cmd.Run() // signed out: it only needs to load the modules
		indexDir = d
	})
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"commandIndex.json", "versionCheck.json"} {
		if b, err := os.ReadFile(filepath.Join(indexDir, f)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, f), b, 0o600)
		}
	}
}

// sandbox is one walkthrough sandbox behind its own cloud and proxy, and
// an az configured for it as the README says.
type sandbox struct {
	t       *testing.T
	az      string
	cloud   *sim.Cloud
	w       *world.World
	names   scenario.Resources
	env     []string
	proxy   string // the proxy URL with the sandbox's credentials
	caFile  string
	secrets []string // values that must never appear in the trace
}

const proxyPassword = "proxy-pass-for-az"

// newSandbox builds a walkthrough sandbox, starts the proxy on 127.0.0.1 and
// gives az an empty config directory of its own.
func newSandbox(t *testing.T, id string) *sandbox {
	t.Helper()
	azBin := azPath(t)
	keys, ca := fixtures(t)
	c, err := sim.New(sim.Config{Registry: world.NewRegistry(nil, nil), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	w, err := scenario.Build(context.Background(), c.Registry(), id, scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	p := proxy.New(ca, c, func(user, pass string) (string, bool) { return id, user == id && pass == proxyPassword })
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		p.Close()
	})
	dir := t.TempDir()
	caFile := filepath.Join(dir, "sandbox-ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(srv.URL)
	pu.User = url.UserPassword(id, proxyPassword)
	s := &sandbox{t: t, az: azBin, cloud: c, w: w, proxy: pu.String(), caFile: caFile}
	w.View(func(st *world.State) {
		s.names = scenario.ResourcesFor(st.Labels["suffix"])
		for _, v := range st.Keychain {
			s.secrets = append(s.secrets, v)
		}
	})
	s.secrets = append(s.secrets, proxyPassword)
	seedConfig(t, azBin, filepath.Join(dir, "azure"))
	s.env = []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + dir,
		"AZURE_CONFIG_DIR=" + filepath.Join(dir, "azure"),
		"HTTPS_PROXY=" + s.proxy,
		"REQUESTS_CA_BUNDLE=" + caFile,
		// Keep az quiet and local: no telemetry upload, no survey prompt.
		"AZURE_CORE_COLLECT_TELEMETRY=no",
		"AZURE_CORE_SURVEY_MESSAGE=no",
		"AZURE_CORE_NO_COLOR=yes",
	}
	return s
}

// result is one az run.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return "az " + strings.Join(r.args, " ") + " → exit " + itoa(r.code) + "\nstdout: " + r.stdout + "\nstderr: " + r.stderr
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// run runs az with JSON output.
func (s *sandbox) run(args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append(append([]string{}, args...), "--output", "json")
	cmd := exec.CommandContext(ctx, s.az, full...)
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("az %v: %v", args, err)
	}
	return r
}

// ok runs az, requires success and decodes its JSON output (nil when empty).
func (s *sandbox) ok(args ...string) any {
	s.t.Helper()
	r := s.run(args...)
	if r.code != 0 {
		s.t.Fatalf("%s", r)
	}
	if strings.TrimSpace(r.stdout) == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		s.t.Fatalf("%s\nnot JSON: %v", r, err)
	}
	return v
}

// fails runs az, requires a failure whose stderr holds every want.
func (s *sandbox) fails(want []string, args ...string) result {
	s.t.Helper()
	r := s.run(args...)
	if r.code == 0 {
		s.t.Fatalf("succeeded, want failure with %q:\n%s", want, r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			s.t.Errorf("stderr lacks %q:\n%s", w, r)
		}
	}
	if strings.Contains(r.stderr, "Traceback") {
		s.t.Errorf("az crashed rather than reporting the service's error:\n%s", r)
	}
	return r
}

// rest runs `az rest` (resource is the token audience for non-ARM URLs).
func (s *sandbox) rest(method, u, body, resource string) result {
	s.t.Helper()
	args := []string{"rest", "--method", method, "--url", u}
	if body != "" {
		args = append(args, "--body", body)
	}
	if resource != "" {
		args = append(args, "--resource", resource)
	}
	return s.run(args...)
}

// restOK is rest that must succeed; it returns the decoded body.
func (s *sandbox) restOK(method, u, body, resource string) map[string]any {
	s.t.Helper()
	r := s.rest(method, u, body, resource)
	if r.code != 0 {
		s.t.Fatalf("%s", r)
	}
	m := map[string]any{}
	if strings.TrimSpace(r.stdout) != "" {
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			s.t.Fatalf("%s\nnot a JSON object: %v", r, err)
		}
	}
	return m
}

// label returns a labelled principal.
func (s *sandbox) principal(label string) (p world.Principal) {
	s.w.View(func(st *world.State) { p = *st.Principals[st.Labels[label]] })
	return p
}

func (s *sandbox) secret(label string) (v string) {
	s.w.View(func(st *world.State) { v = st.Keychain[label] })
	return v
}

func (s *sandbox) sub() string { return "/subscriptions/" + s.w.SubscriptionID() }

func (s *sandbox) rgID() string { return s.sub() + "/resourceGroups/" + scenario.ResourceGroup }

func (s *sandbox) vaultID() string {
	return s.rgID() + "/providers/Microsoft.KeyVault/vaults/" + s.names.Vault
}

// loginOwner signs az in as the owner service principal (Owner on the
// subscription, Application Administrator in the directory). The secret is
// passed as -p=… because sandbox secrets may start with '-'.
func (s *sandbox) loginOwner() {
	s.t.Helper()
	o := s.principal(scenario.LabelOwner)
	s.ok("login", "--service-principal", "-u", o.AppID, "-p="+s.secret(scenario.LabelOwner), "--tenant", s.w.TenantID())
}

// lastSeq is the sequence number of the sandbox's newest exchange.
func (s *sandbox) lastSeq() int64 {
	exs := s.cloud.Book().List(s.w.ID(), 0)
	if len(exs) == 0 {
		return 0
	}
	return exs[len(exs)-1].Seq
}

// since returns the exchanges recorded after seq, checking that each came
// through the proxy for this sandbox and that no secret leaked into them.
func (s *sandbox) since(seq int64) []trace.Exchange {
	s.t.Helper()
	exs := s.cloud.Book().List(s.w.ID(), seq)
	for _, ex := range exs {
		if ex.Via != "proxy" || ex.SandboxID != s.w.ID() {
			s.t.Errorf("%s %s: via %q sandbox %q", ex.Method, ex.URL, ex.Via, ex.SandboxID)
		}
		raw, _ := json.Marshal(ex)
		for _, v := range s.secrets {
			if v != "" && strings.Contains(string(raw), v) {
				s.t.Errorf("%s %s: a secret (%.3s…) is in the trace", ex.Method, ex.URL, v)
			}
		}
	}
	return exs
}

// sent asserts that the exchanges include method on a URL containing part,
// answered status, and returns it.
func sent(t *testing.T, exs []trace.Exchange, method, part string, status int) trace.Exchange {
	t.Helper()
	for _, ex := range exs {
		if ex.Method == method && strings.Contains(ex.URL, part) && ex.Status == status {
			return ex
		}
	}
	t.Errorf("no %s …%s… → %d in the trace:%s", method, part, status, describe(exs))
	return trace.Exchange{}
}

func describe(exs []trace.Exchange) string {
	var b strings.Builder
	for _, ex := range exs {
		b.WriteString("\n  " + ex.Method + " " + ex.URL + " → " + http.StatusText(ex.Status))
	}
	return b.String()
}

// field walks a decoded JSON value by keys ("a", "b") and returns the string
// there ("" when absent).
func field(v any, keys ...string) string {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case bool, float64:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return ""
}

// list returns a decoded JSON array ([] when v is not one).
func list(v any) []any {
	l, _ := v.([]any)
	return l
}
