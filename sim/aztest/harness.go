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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/proxy"
	"github.com/azure-auth-sandbox/sandbox/sim/proxy/proxytest"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

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

// Main runs a test binary's tests and removes the shared command index:
// func TestMain(m *testing.M) { os.Exit(aztest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if indexDir != "" {
		os.RemoveAll(indexDir)
	}
	return code
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

// Sandbox is one walkthrough sandbox behind its own cloud and proxy, and
// an az configured for it as the README says.
type Sandbox struct {
	t     *testing.T
	az    string
	cloud *sim.Cloud
	// W is the sandbox's world; Names its resources' names.
	W       *world.World
	Names   scenario.Resources
	env     []string
	proxy   string // the proxy URL with the sandbox's credentials
	caFile  string
	secrets *[]string // values that must never appear in the trace
}

const proxyPassword = "proxy-pass-for-az"

// New builds a walkthrough sandbox, starts the proxy on 127.0.0.1 and
// gives az an empty config directory of its own.
func New(t *testing.T, id string) *Sandbox {
	t.Helper()
	azBin := azPath(t)
	keys, ca := entratest.Keys(t), proxytest.CA(t)
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
	s := &Sandbox{t: t, az: azBin, cloud: c, W: w, proxy: pu.String(), caFile: caFile, secrets: &[]string{proxyPassword}}
	w.View(func(st *world.State) {
		s.Names = scenario.ResourcesOf(st)
		for _, v := range st.Keychain {
			s.AddSecret(v)
		}
	})
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

// AddSecret adds a value the trace must never show (a password az printed).
func (s *Sandbox) AddSecret(v string) { *s.secrets = append(*s.secrets, v) }

// With returns the sandbox bound to t (a subtest): failures go to t.
func (s *Sandbox) With(t *testing.T) *Sandbox {
	o := *s
	o.t = t
	return &o
}

// For returns a second az on the same sandbox, bound to t, with a config
// directory of its own (signed out).
func (s *Sandbox) For(t *testing.T) *Sandbox {
	t.Helper()
	o := s.With(t)
	dir := t.TempDir()
	seedConfig(t, s.az, filepath.Join(dir, "azure"))
	o.env = nil
	for _, kv := range s.env {
		switch {
		case strings.HasPrefix(kv, "AZURE_CONFIG_DIR="):
			kv = "AZURE_CONFIG_DIR=" + filepath.Join(dir, "azure")
		case strings.HasPrefix(kv, "HOME="):
			kv = "HOME=" + dir
		}
		o.env = append(o.env, kv)
	}
	return o
}

// Result is one az run.
type Result struct {
	Args           []string
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return "az " + strings.Join(r.Args, " ") + " → exit " + strconv.Itoa(r.Code) + "\nstdout: " + r.Stdout + "\nstderr: " + r.Stderr
}

// run runs az with JSON output.
func (s *Sandbox) Run(args ...string) Result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append(append([]string{}, args...), "--output", "json")
	cmd := exec.CommandContext(ctx, s.az, full...)
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Args: args, Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("az %v: %v", args, err)
	}
	return r
}

// ok runs az, requires success and decodes its JSON output (nil when empty).
func (s *Sandbox) OK(args ...string) any {
	s.t.Helper()
	r := s.Run(args...)
	if r.Code != 0 {
		s.t.Fatalf("%s", r)
	}
	if strings.TrimSpace(r.Stdout) == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
		s.t.Fatalf("%s\nnot JSON: %v", r, err)
	}
	return v
}

// fails runs az, requires a failure whose stderr holds every want.
func (s *Sandbox) Fails(want []string, args ...string) Result {
	s.t.Helper()
	r := s.Run(args...)
	if r.Code == 0 {
		s.t.Fatalf("succeeded, want failure with %q:\n%s", want, r)
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			s.t.Errorf("stderr lacks %q:\n%s", w, r)
		}
	}
	if strings.Contains(r.Stderr, "Traceback") {
		s.t.Errorf("az crashed rather than reporting the service's error:\n%s", r)
	}
	return r
}

// rest runs `az rest` (resource is the token audience for non-ARM URLs).
func (s *Sandbox) Rest(method, u, body, resource string) Result {
	s.t.Helper()
	args := []string{"rest", "--method", method, "--url", u}
	if body != "" {
		args = append(args, "--body", body)
	}
	if resource != "" {
		args = append(args, "--resource", resource)
	}
	return s.Run(args...)
}

// restOK is rest that must succeed; it returns the decoded body.
func (s *Sandbox) RestOK(method, u, body, resource string) map[string]any {
	s.t.Helper()
	r := s.Rest(method, u, body, resource)
	if r.Code != 0 {
		s.t.Fatalf("%s", r)
	}
	m := map[string]any{}
	if strings.TrimSpace(r.Stdout) != "" {
		if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
			s.t.Fatalf("%s\nnot a JSON object: %v", r, err)
		}
	}
	return m
}

// Principal returns a labelled principal.
func (s *Sandbox) Principal(label string) (p world.Principal) {
	s.W.View(func(st *world.State) { p = *st.Principals[st.Labels[label]] })
	return p
}

func (s *Sandbox) Secret(label string) (v string) {
	s.W.View(func(st *world.State) { v = st.Keychain[label] })
	return v
}

func (s *Sandbox) Sub() string { return "/subscriptions/" + s.W.SubscriptionID() }

func (s *Sandbox) RGID() string { return s.Sub() + "/resourceGroups/" + scenario.ResourceGroup }

func (s *Sandbox) VaultID() string {
	return s.RGID() + "/providers/Microsoft.KeyVault/vaults/" + s.Names.Vault
}

// loginOwner signs az in as the owner service principal (Owner on the
// subscription, Application Administrator in the directory). The secret is
// passed as -p=… because sandbox secrets may start with '-'.
func (s *Sandbox) LoginOwner() {
	s.t.Helper()
	o := s.Principal(scenario.LabelOwner)
	s.OK("login", "--service-principal", "-u", o.AppID, "-p="+s.Secret(scenario.LabelOwner), "--tenant", s.W.TenantID())
}

// lastSeq is the sequence number of the sandbox's newest exchange.
func (s *Sandbox) LastSeq() int64 {
	exs := s.cloud.Book().List(s.W.ID(), 0)
	if len(exs) == 0 {
		return 0
	}
	return exs[len(exs)-1].Seq
}

// since returns the exchanges recorded after seq, checking that each came
// through the proxy for this sandbox and that no secret leaked into them.
func (s *Sandbox) Since(seq int64) []trace.Exchange {
	s.t.Helper()
	exs := s.cloud.Book().List(s.W.ID(), seq)
	for _, ex := range exs {
		if ex.Via != "proxy" || ex.SandboxID != s.W.ID() {
			s.t.Errorf("%s %s: via %q sandbox %q", ex.Method, ex.URL, ex.Via, ex.SandboxID)
		}
		raw, _ := json.Marshal(ex)
		for _, v := range *s.secrets {
			if v != "" && strings.Contains(string(raw), v) {
				s.t.Errorf("%s %s: a secret (%.3s…) is in the trace", ex.Method, ex.URL, v)
			}
		}
	}
	return exs
}

// sent asserts that the exchanges include method on a URL containing part,
// answered status, and returns it.
func Sent(t *testing.T, exs []trace.Exchange, method, part string, status int) trace.Exchange {
	t.Helper()
	for _, ex := range exs {
		if ex.Method == method && strings.Contains(ex.URL, part) && ex.Status == status {
			return ex
		}
	}
	t.Errorf("no %s …%s… → %d in the trace:%s", method, part, status, Describe(exs))
	return trace.Exchange{}
}

func Describe(exs []trace.Exchange) string {
	var b strings.Builder
	for _, ex := range exs {
		b.WriteString("\n  " + ex.Method + " " + ex.URL + " → " + http.StatusText(ex.Status))
	}
	return b.String()
}

// field walks a decoded JSON value by keys ("a", "b") and returns the string
// there ("" when absent).
func Field(v any, keys ...string) string {
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
func List(v any) []any {
	l, _ := v.([]any)
	return l
}

const raVersion = "?api-version=2022-04-01"

// Grant creates a role assignment with az rest: the PUT `az role assignment
// create` sends (Debian's az 2.45 cannot send it itself). It returns the
// assignment's ID.
func (s *Sandbox) Grant(role, principalID, principalType, scope string) string {
	s.t.Helper()
	id := scope + "/providers/Microsoft.Authorization/roleAssignments/" + uuid.NewString()
	body := `{"properties":{"roleDefinitionId":"` + s.Sub() + `/providers/Microsoft.Authorization/roleDefinitions/` + role +
		`","principalId":"` + principalID + `","principalType":"` + principalType + `"}}`
	ra := s.RestOK("PUT", "https://management.azure.com"+id+raVersion, body, "")
	if Field(ra, "id") != id || Field(ra, "properties", "principalId") != principalID {
		s.t.Fatalf("role assignment %v", ra)
	}
	return id
}

// MapOf returns a decoded JSON object (nil when v is not one).
func MapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// ProxyURL is the proxy's URL with the sandbox's credentials (what the
// sandbox page shows as HTTPS_PROXY).
func (s *Sandbox) ProxyURL() string { return s.proxy }

// Shell runs a bash script the way a learner pastes it into a fresh
// terminal: in a new directory holding sandbox-ca.pem (as the README's curl
// saves it), with no Azure variables set beyond what the script exports.
// The script's `export AZURE_CONFIG_DIR="$PWD/.azure-sandbox"` gets the
// shared command index.
func (s *Sandbox) Shell(script string) Result {
	s.t.Helper()
	dir := s.t.TempDir()
	b, err := os.ReadFile(s.caFile)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sandbox-ca.pem"), b, 0o600); err != nil {
		s.t.Fatal(err)
	}
	seedConfig(s.t, s.az, filepath.Join(dir, ".azure-sandbox"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "AZURE_CORE_COLLECT_TELEMETRY=no", "AZURE_CORE_SURVEY_MESSAGE=no",
		"AZURE_CORE_NO_COLOR=yes", "AZURE_CORE_OUTPUT=json"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	r := Result{Args: []string{"bash", "-c", script}, Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("bash: %v", err)
	}
	return r
}

// CAFile is the path of the sandbox CA's PEM file.
func (s *Sandbox) CAFile() string { return s.caFile }
