package lessons

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/lessons/pyrun"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Python is what the runner needs to run a lesson's Python: an interpreter
// with the SDK (pyrun.Find) and the sandbox's own proxy, which attributes
// the worker's traffic to the run (sandbox, step, site) as the in-process
// transport does for Go.
type Python struct {
	Path     string
	Info     pyrun.Info
	ProxyURL string // the server's listener, e.g. http://127.0.0.1:8080
	CAFile   string // the proxy's root CA certificate (PEM)
	Runs     runRegistry
	Limits   pyrun.Limits
	// AZ is the Azure CLI a workstation with the CLI installed has on its
	// PATH ("" when the machine has none: AzureCliCredential is then
	// unavailable, as on a workstation without az).
	AZ string
	// Zygote forks workers from a pre-imported interpreter (nil: each
	// worker starts its own).
	Zygote *pyrun.Zygote

	azSeed  azSeed
	azPlain bool // no seed: az starts from an empty config (benchmarks)
}

// runRegistry hands out proxy credentials whose traffic takes a run's
// origin (*proxy.Runs).
type runRegistry interface {
	Register(origin func() world.Origin) (user, pass string, release func())
}

// pyProgram is the run's Python worker: its process, its working directory
// (HOME and AZURE_CONFIG_DIR) and its proxy credentials.
type pyProgram struct {
	w       *pyrun.Worker
	env     map[string]string // the place's environment it started with
	dir     string
	pass    string
	release func()
}

func (p *pyProgram) close() {
	_ = p.w.Close()
	p.release()
	_ = os.RemoveAll(p.dir)
}

// UsePython lets the run execute steps in Python (nil: Go only).
func (r *Runner) UsePython(py *Python) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.py = py
	if py == nil {
		r.lang = LangGo
		r.stopPythonLocked()
	}
}

// PythonAvailable reports whether the run can execute Python.
func (r *Runner) PythonAvailable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.py != nil
}

// Language is the language the run's code steps execute in.
func (r *Runner) Language() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lang
}

// SetLanguage chooses the language code steps execute in. Like moving the
// code, changing it starts the program again: the objects are dropped.
func (r *Runner) SetLanguage(lang string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case lang == LangGo:
	case lang == LangPython && r.py != nil:
	case lang == LangPython:
		return errors.New("lessons: no Python with the Azure SDK on this server")
	default:
		return fmt.Errorf("lessons: language %q: want go or python", lang)
	}
	if lang != r.lang {
		r.lang = lang
		clear(r.objects)
		r.stopPythonLocked()
	}
	return nil
}

// Restart starts the learner's program again: its objects are gone and a
// Python worker that crashed or hung is replaced by the next step.
func (r *Runner) Restart() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.objects)
	r.stopPythonLocked()
}

// Close stops the run's Python worker, if any.
func (r *Runner) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopPythonLocked()
}

func (r *Runner) stopPythonLocked() {
	if r.prog != nil {
		r.prog.close()
		r.prog = nil
	}
	r.pyVars = nil
}

// runsPython reports whether step s runs in Python now.
func (r *Runner) runsPython(s *Step) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lang == LangPython && r.py != nil && s.Code[LangPython] != ""
}

// pyStep is what a Python step needs from the world, read in one View.
type pyStep struct {
	id      string
	values  map[string]string
	env     map[string]string
	secrets []string
	cli     struct{ user, pass string }
}

// runPython runs the lesson's own Python snippet of s, its placeholders
// filled with the sandbox's names and the validated parameters.
func (r *Runner) runPython(ctx context.Context, s *Step, params map[string]string, marker string) (*StepResult, error) {
	a := r.actions[s.Action]
	if a == nil {
		return nil, fmt.Errorf("lessons: run: unknown action %q", s.Action)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var ps pyStep
	r.w.View(func(st *world.State) {
		ps.id = st.ID
		ps.values = placeholderValues(st)
		maps.Copy(ps.values, expandParams(a, params, placeholders(st)))
		ps.env = r.place.Environ(st)
		ps.secrets = knownSecrets(st)
		if r.place.RunsOn == RunsOnWorkstation && r.place.CLI == CLISignedIn {
			if p := st.Principals[st.Labels[r.place.CLIUser]]; p != nil {
				ps.cli.user, ps.cli.pass = p.UserPrincipalName, st.Keychain[r.place.CLIUser]
			}
		}
	})
	code, err := pyrun.Fill(s.Code[LangPython], ps.values)
	if err != nil {
		return nil, fmt.Errorf("lessons: run %s: %w", s.ID, err)
	}
	res := &StepResult{StepID: s.ID, Action: s.Action, Marker: marker, Language: LangPython}
	origin := world.Origin{SandboxID: ps.id, Via: "runner", Step: marker}
	if r.place.RunsOn == RunsOnSite {
		origin.Site = r.place.Site
	}
	before := r.cloud.LastSeq(ps.id)
	start := time.Now()
	var note string
	if r.prog != nil && !maps.Equal(r.prog.env, ps.env) {
		// A process reads its environment when it starts: App Service
		// restarts the site when its settings or identity change, and a
		// workstation program is started again after an export.
		r.stopPythonLocked()
		note = "(the program started again: its environment changed)"
	}
	if r.prog == nil {
		if err := r.startPythonLocked(ctx, ps, origin); err != nil {
			res.Error = err.Error()
			res.Restart = true
		}
	}
	r.setOrigin(origin)
	if r.prog != nil {
		pr, err := r.prog.w.Run(ctx, pyrun.Step{ID: s.ID, Code: code})
		var f *pyrun.Failure
		switch {
		case errors.As(err, &f):
			res.Error = strings.TrimPrefix(f.Error(), "pyrun: ") + ". Its objects are gone: restart the program and run the steps again from the first."
			res.Restart = true
			r.stopPythonLocked()
		case err != nil:
			return nil, fmt.Errorf("lessons: run %s: %w", s.ID, err)
		default:
			r.pythonResult(res, pr, append(ps.secrets, r.prog.pass))
		}
	}
	if note != "" {
		res.Output = strings.TrimSpace(note + "\n" + res.Output)
	}
	res.Duration = time.Since(start)
	res.Error = maskText(res.Error, ps.secrets)
	defer func() { res.Outcome = pythonOutcome(res) }()
	res.Place = r.place.Clone()
	for _, ex := range r.cloud.Exchanges(ps.id, before) {
		if ex.Step == marker {
			res.Exchanges = append(res.Exchanges, ex)
		}
	}
	return res, nil
}

// startPythonLocked starts the run's worker with the place's environment,
// reaching the sandbox through its proxy. Signed in as yourself, the
// worker's own Azure CLI (its AZURE_CONFIG_DIR) signs in as the developer
// first, as `az login` on a workstation would.
func (r *Runner) startPythonLocked(ctx context.Context, ps pyStep, origin world.Origin) error {
	dir, err := os.MkdirTemp("", "sandbox-python-")
	if err != nil {
		return fmt.Errorf("the Python program could not start: %w", err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("the Python program could not start: %w", err)
	}
	var azEnv []string
	if r.place.RunsOn == RunsOnWorkstation && r.place.CLI != CLINotInstalled && r.py.AZ != "" {
		if err := os.Symlink(r.py.AZ, filepath.Join(bin, "az")); err != nil {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("the Python program could not start: %w", err)
		}
		if !r.py.azPlain {
			// A failed seed leaves az to start from nothing, as before.
			if seed, extra, err := r.py.azConfigSeed(ctx); err == nil {
				if err := seedAzureConfig(seed, filepath.Join(dir, ".azure")); err == nil {
					azEnv = extra
				}
			}
		}
	}
	user, pass, release := r.py.Runs.Register(r.currentOrigin)
	prog := &pyProgram{env: ps.env, dir: dir, pass: pass, release: release}
	env := pythonEnv(r.py, ps.env, dir, bin, user, pass, azEnv...)
	if ps.cli.user != "" {
		r.setOrigin(world.Origin{SandboxID: origin.SandboxID, Via: "runner", Step: r.lesson.Marker(MarkerAzLogin)})
		if err := azLogin(ctx, bin, dir, env, ps.cli.user, ps.cli.pass); err != nil {
			prog.release()
			_ = os.RemoveAll(dir)
			return fmt.Errorf("az login as %s failed: %s", ps.cli.user, maskText(err.Error(), append(ps.secrets, pass)))
		}
	}
	w, err := pyrun.Start(ctx, pyrun.Config{Python: r.py.Path, Env: env, Dir: dir, Limits: r.py.Limits, Zygote: r.py.Zygote})
	if err != nil {
		prog.release()
		_ = os.RemoveAll(dir)
		return fmt.Errorf("the Python program could not start: %s", strings.TrimPrefix(err.Error(), "pyrun: "))
	}
	prog.w = w
	r.prog = prog
	return nil
}

// MarkerAzLogin labels the exchanges of the worker's own `az login`.
const MarkerAzLogin = "az-login"

// pythonEnv is the worker's whole environment: the place's variables, the
// proxy with the run's credentials, the sandbox CA, and a HOME of its own.
// Nothing of the server's environment leaks in.
func pythonEnv(py *Python, placeEnv map[string]string, dir, bin, user, pass string, extra ...string) []string {
	proxyURL := py.ProxyURL
	if u, err := url.Parse(py.ProxyURL); err == nil {
		u.User = url.UserPassword(user, pass)
		proxyURL = u.String()
	}
	env := map[string]string{}
	maps.Copy(env, placeEnv)
	maps.Copy(env, map[string]string{
		"HOME": dir, "PATH": bin, "LANG": "C.UTF-8", "TMPDIR": dir,
		"HTTPS_PROXY": proxyURL, "HTTP_PROXY": proxyURL, "NO_PROXY": "",
		"REQUESTS_CA_BUNDLE": py.CAFile, "SSL_CERT_FILE": py.CAFile,
		"AZURE_CONFIG_DIR":             filepath.Join(dir, ".azure"),
		"AZURE_CORE_COLLECT_TELEMETRY": "false",
		"AZURE_CORE_NO_COLOR":          "true",
	})
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// azLogin signs the worker's Azure CLI in as the user, through the proxy.
func azLogin(ctx context.Context, bin, dir string, env []string, user, pass string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// name=value: a password starting with "-" must not read as an option.
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "az"), "login", "--username="+user, "--password="+pass,
		"--allow-no-subscriptions", "--output", "none")
	cmd.Env = env
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, lastLines(string(out), 3))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

// pythonResult turns the worker's reply into the step's result.
func (r *Runner) pythonResult(res *StepResult, pr *pyrun.Result, secrets []string) {
	res.OK = pr.OK
	var out []string
	for _, v := range pr.Vars {
		r.pyVars = appendUnique(r.pyVars, v.Name)
		switch {
		case v.Type == "str":
			out = append(out, v.Name+" = "+quotePy(maskValue(v.Value, secrets)))
		case v.Value != "":
			out = append(out, v.Name+" = "+v.Value)
		default:
			out = append(out, v.Name+" = "+shortType(v.Type)+" object")
		}
	}
	if s := strings.TrimRight(pr.Stdout, "\n"); s != "" {
		out = append(out, maskText(s, secrets))
	}
	res.Output = strings.Join(out, "\n")
	if pr.Error != nil {
		res.ErrorType = pr.Error.Type
		res.Error = maskText(pr.Error.String(), secrets)
	}
	if c := pr.Chain; c != nil {
		rep := &ChainReport{Scopes: c.Scopes, Answered: c.Answered, Reused: c.Reused, Error: maskText(c.Error, secrets)}
		for _, l := range c.Links {
			rep.Links = append(rep.Links, LinkReport{Name: l.Name, Outcome: l.Outcome, Message: maskText(l.Message, secrets),
				Why: pythonLinkWhy(l, c.Answered, c.Reused)})
		}
		res.Chain = rep
	}
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// shortType drops a Python type's private module path:
// azure.identity._credentials.default.DefaultAzureCredential → DefaultAzureCredential.
func shortType(t string) string {
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return t
}

func quotePy(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// knownSecrets are the sandbox's secret values: client secrets and
// passwords, Key Vault secret values, site identity headers. They are
// masked wherever a Python step's output or error shows them.
func knownSecrets(st *world.State) []string {
	var out []string
	add := func(v string) {
		if len(v) >= 6 {
			out = append(out, v)
		}
	}
	for _, v := range st.Keychain {
		add(v)
	}
	for _, v := range st.Vaults {
		for _, s := range v.Secrets {
			for _, ver := range s.Versions {
				add(ver.Value)
			}
		}
	}
	for _, s := range st.Sites {
		add(s.IdentityHeader)
	}
	// Longest first, so a secret containing another is masked whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// jwtPattern finds access tokens in text.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// maskText masks every known secret and every token in s.
func maskText(s string, secrets []string) string {
	if s == "" {
		return s
	}
	for _, v := range secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, mask(v))
		}
	}
	return jwtPattern.ReplaceAllStringFunc(s, mask)
}

// maskValue masks a variable's string value: a known secret shows its first
// characters only (as the Go steps show the key they read).
func maskValue(v string, secrets []string) string { return maskText(v, secrets) }

// pythonOutcome summarises a Python step for choosing its note. Notes name
// the chain's links as Go spells them; Python spells one differently.
func pythonOutcome(res *StepResult) Outcome {
	o := OutcomeOf(res)
	if o.Answered == "AzureCliCredential" {
		o.Answered = credNameAzureCLI
	}
	return o
}
