package lessons

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// StepResult is what running one step did.
type StepResult struct {
	StepID string `json:"stepId"`
	Action string `json:"action"`
	Marker string `json:"marker"` // the trace marker of the step
	OK     bool   `json:"ok"`
	// Output is what the step produced for the learner (a masked secret, a
	// random number, a message ID, a note about the sandbox change).
	Output string `json:"output,omitempty"`
	// Error is the SDK's error text when the step failed.
	Error string `json:"error,omitempty"`
	// Exchanges are the requests this run of the step made, in order.
	Exchanges []trace.Exchange `json:"exchanges"`
	// Chain reports what DefaultAzureCredential did, when it was asked for a
	// token during the step (the last such call).
	Chain    *ChainReport  `json:"chain,omitempty"`
	Place    Place         `json:"place"`
	Duration time.Duration `json:"duration"`
	// Outcome summarises the run for choosing its note (Step.NoteFor).
	Outcome Outcome `json:"outcome"`
	// Language is the language the step ran in (go or python).
	Language string `json:"language,omitempty"`
	// ErrorType is the Python exception's qualified type
	// (azure.core.exceptions.HttpResponseError) when a Python step failed.
	ErrorType string `json:"errorType,omitempty"`
	// Restart is set when the program stopped (a Python worker that crashed,
	// hung or could not start): the learner restarts it.
	Restart bool `json:"restart,omitempty"`
	// Real is set when the step ran against real Azure (a real-mode
	// sandbox, a step the lesson declares real).
	Real bool `json:"real,omitempty"`
}

// Runner is one learner's run of one lesson: "the learner's app". The
// objects a step creates (credential, clients, the API key read) live on
// between steps, as variables of a program would. A Runner is safe for
// concurrent use; steps run one at a time.
type Runner struct {
	cloud   Cloud
	w       *world.World
	sim     Facts // the simulated world's facts
	real    Facts // real Azure's, for a real-mode sandbox (UseReal); nil otherwise
	lesson  *Lesson
	actions map[string]*Action

	mu      sync.Mutex // one step at a time
	place   Place
	objects map[string]any
	hidden  map[string]any // the sandbox's own tools (the owner's credential)

	lang   string     // LangGo or LangPython
	py     *Python    // nil: no Python on this server
	prog   *pyProgram // the Python worker, started by the first Python step
	pyVars []string   // names the Python program defined

	omu    sync.Mutex
	origin world.Origin // of the step in progress, read by the transport
	report *ChainReport // the last DefaultAzureCredential report of the step
}

// Live object names.
const (
	ObjCredential   = "credential"
	ObjSecretClient = "client"
	ObjQueueClient  = "queue"
	ObjAPIKey       = "api_key"
)

// NewRunner starts a run of lesson l in world w, at the lesson's default
// place. It does not apply the lesson's setup (see Setup).
func NewRunner(c Cloud, w *world.World, l *Lesson) *Runner {
	r := &Runner{cloud: c, w: w, lesson: l, actions: actionsByName(), objects: map[string]any{}, hidden: map[string]any{}, lang: LangGo}
	r.sim = simFacts{r}
	w.View(func(st *world.State) { r.place = DefaultPlace(l, st) })
	return r
}

// UseReal makes the run a real-mode one: the steps the lesson declares real
// (and the setup, panel and fix actions that can run there) read f and
// reach real Azure; the others stay in the simulated world. The workstation
// starts again with f's values.
func (r *Runner) UseReal(f Facts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.real = f
	p := r.place.Clone()
	if p.RunsOn == RunsOnWorkstation {
		p.Env = map[string]string{}
		if r.lesson.Credential == "" || r.lesson.Credential == CredLocalDev {
			p.Env = PrincipalEnvOf(f, scenario.LabelLocalDev)
		}
	}
	r.setPlaceLocked(p)
}

// Real returns real Azure's facts of a real-mode run, nil for a simulated one.
func (r *Runner) Real() Facts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.real
}

// RunsReal reports whether block id of the lesson runs against real Azure
// in this run.
func (r *Runner) RunsReal(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.factsFor(id, "", nil).Real()
}

// factsFor chooses where an action runs: real Azure for the lesson's
// declared real blocks and for real-capable actions outside the lesson's
// blocks (setup, the panel, one-click fixes) of a real-mode run; the
// simulated world otherwise.
func (r *Runner) factsFor(stepID, action string, params map[string]string) Facts {
	if r.real == nil {
		return r.sim
	}
	if r.lesson.Step(stepID) != nil {
		if r.lesson.RunsReal(stepID) {
			return r.real
		}
		return r.sim
	}
	if RealActions[action] {
		// A principal only the simulator has (mainApp, developer) keeps
		// the action there: a setup granting the site's identity a role.
		if p := params["principal"]; p != "" {
			if _, err := r.real.Principal(p); err != nil {
				return r.sim
			}
		}
		return r.real
	}
	return r.sim
}

// PrincipalEnvOf is PrincipalEnv read from facts (a real sandbox's
// localDev).
func PrincipalEnvOf(f Facts, label string) map[string]string {
	p, err := f.Principal(label)
	if err != nil || p.AppID == "" {
		return map[string]string{}
	}
	return map[string]string{EnvTenantID: f.Tenant(), EnvClientID: p.AppID, EnvClientSecret: p.Secret}
}

// Lesson returns the lesson being run.
func (r *Runner) Lesson() *Lesson { return r.lesson }

// Place returns where the code runs now.
func (r *Runner) Place() Place {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.place.Clone()
}

// SetPlace moves the code (or changes the workstation's environment). Like
// restarting a program, it drops the objects earlier steps created.
func (r *Runner) SetPlace(p Place) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setPlaceLocked(p)
}

func (r *Runner) setPlaceLocked(p Place) {
	r.place = p.Clone()
	if r.place.RunsOn == RunsOnSite && r.place.Site == "" {
		r.w.View(func(st *world.State) { r.place.Site = scenario.ResourcesOf(st).MainSite })
	}
	clear(r.objects)
	r.stopPythonLocked()
}

// Objects names the live objects, sorted (for the UI's "variables" view).
func (r *Runner) Objects() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.objects))
	for k := range r.objects {
		names = append(names, k)
	}
	if r.lang == LangPython {
		names = append(names[:0], r.pyVars...)
	}
	sort.Strings(names)
	return names
}

// Setup applies the lesson's setup actions (at start and after a reset).
func (r *Runner) Setup(ctx context.Context) ([]*StepResult, error) {
	var out []*StepResult
	for i, inv := range r.lesson.Setup {
		res, err := r.Do(ctx, fmt.Sprintf("setup-%d", i+1), inv.Action, inv.Params, r.lesson.SetupMarker())
		if err != nil {
			return out, err
		}
		out = append(out, res)
		if !res.OK {
			return out, fmt.Errorf("lessons: setup %s: %s", inv.Action, res.Error)
		}
	}
	return out, nil
}

// Run runs a step of the lesson with the learner's parameter edits (only
// the step's editable parameters may change).
func (r *Runner) Run(ctx context.Context, stepID string, edits map[string]string) (*StepResult, error) {
	s := r.lesson.Step(stepID)
	if s == nil {
		return nil, fmt.Errorf("lessons: run: lesson %s has no step %q", r.lesson.ID, stepID)
	}
	params := maps.Clone(s.Params)
	if params == nil {
		params = map[string]string{}
	}
	for k, v := range edits {
		if !slices.Contains(s.Editable, k) {
			return nil, fmt.Errorf("lessons: run %s: parameter %q is not editable", stepID, k)
		}
		params[k] = v
	}
	marker := r.lesson.Marker(stepID)
	if s.RunsOn != "" {
		r.mu.Lock()
		if r.place.RunsOn != s.RunsOn {
			p := r.place.Clone()
			p.RunsOn = s.RunsOn
			r.setPlaceLocked(p)
		}
		r.mu.Unlock()
	}
	if r.runsPython(s) && !r.RunsReal(stepID) {
		return r.runPython(ctx, s, params, marker)
	}
	res, err := r.Do(ctx, stepID, s.Action, params, marker)
	if res != nil {
		res.Language = LangGo
	}
	return res, err
}

// Do runs any registered action (the UI's sandbox panel and one-click fixes
// use it) with its exchanges labelled marker.
func (r *Runner) Do(ctx context.Context, stepID, action string, params map[string]string, marker string) (*StepResult, error) {
	a := r.actions[action]
	if a == nil {
		return nil, fmt.Errorf("lessons: run: unknown action %q", action)
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	f := r.factsFor(stepID, action, params)
	res := &StepResult{StepID: stepID, Action: action, Marker: marker, Real: f.Real()}
	var st struct {
		env    map[string]string
		params map[string]string
		id     string
	}
	r.w.View(func(s *world.State) {
		st.env = r.place.Environ(s)
		st.params = expandParams(a, params, replacerOf(f.Placeholders()))
		st.id = s.ID
	})
	if f.Real() && r.place.RunsOn == RunsOnSite {
		return nil, fmt.Errorf("lessons: run %s: code on Azure compute runs in the simulator only", stepID)
	}
	before := f.LastSeq()
	origin := world.Origin{SandboxID: st.id, Via: "runner", Step: marker}
	if r.place.RunsOn == RunsOnSite {
		origin.Site = r.place.Site
	}
	r.setOrigin(origin)
	r.takeReport()

	x := &execution{ctx: ctx, r: r, f: f, params: st.params, env: st.env}
	start := time.Now()
	out, err := a.run(x)
	res.Duration = time.Since(start)
	res.Output = out
	if err != nil {
		res.Error = err.Error()
	} else {
		res.OK = true
	}
	res.Chain = r.takeReport()
	res.Place = r.place.Clone()
	for _, ex := range f.Exchanges(before) {
		if ex.Step == marker {
			res.Exchanges = append(res.Exchanges, ex)
		}
	}
	res.Outcome = OutcomeOf(res)
	return res, nil
}

func (r *Runner) setOrigin(o world.Origin) {
	r.omu.Lock()
	r.origin = o
	r.omu.Unlock()
}

// addReport keeps a DefaultAzureCredential report for the step in progress
// (credentials made in earlier steps report during the step that uses them).
func (r *Runner) addReport(c ChainReport) {
	r.omu.Lock()
	r.report = &c
	r.omu.Unlock()
}

func (r *Runner) takeReport() *ChainReport {
	r.omu.Lock()
	defer r.omu.Unlock()
	c := r.report
	r.report = nil
	return c
}

func (r *Runner) currentOrigin() world.Origin {
	r.omu.Lock()
	defer r.omu.Unlock()
	return r.origin
}

// stepTransport hands each request to the cloud from the origin of the step
// in progress. SDK clients keep the transport they were built with, so a
// client created in one step labels its requests with the step that uses it;
// it keeps the cloud (simulated or real) of the step that created it.
type stepTransport struct {
	r     *Runner
	f     Facts
	owner bool // the sandbox's own tools, not the learner's program
}

func (t stepTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.owner {
		return t.f.OwnerTransport(t.r.currentOrigin()).RoundTrip(req)
	}
	return t.f.Transport(t.r.currentOrigin()).RoundTrip(req)
}

// options are the azcore options every SDK client of the learner's program
// uses.
func (x *execution) options() azcore.ClientOptions {
	return clientOptions(stepTransport{r: x.r, f: x.f}, x.f.Cloud())
}

// ownerOptions are those of the sandbox's own tools (role assignments, the
// vault's settings, Graph).
func (x *execution) ownerOptions() azcore.ClientOptions {
	return clientOptions(stepTransport{r: x.r, f: x.f, owner: true}, x.f.Cloud())
}

// clientOptions are the azcore options of the run's SDK clients over t.
// Cloud is set explicitly so azidentity never reads AZURE_AUTHORITY_HOST
// from the server's own environment.
func clientOptions(t http.RoundTripper, c cloud.Configuration) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     c,
		Transport: &http.Client{Transport: t},
		// Retry counts stay the SDK defaults; delays are shortened so a
		// learner does not wait tens of seconds for a result.
		Retry: policy.RetryOptions{RetryDelay: 100 * time.Millisecond, MaxRetryDelay: 500 * time.Millisecond},
	}
}

// execution is one action's run.
type execution struct {
	ctx    context.Context
	r      *Runner
	f      Facts // where the action runs
	params map[string]string
	env    map[string]string
}

func (x *execution) deps() credDeps {
	d := credDeps{options: x.options(), onReport: x.r.addReport, tenantID: x.f.Tenant()}
	if x.f.Real() {
		// No Azure CLI sign-in on a real sandbox's workstation: the
		// developer user exists only in the simulator.
		return d
	}
	x.r.w.View(func(st *world.State) {
		if x.r.place.RunsOn == RunsOnWorkstation && x.r.place.CLI != CLINotInstalled {
			d.cli.State = x.r.place.CLI
			if p := st.Principals[st.Labels[x.r.place.CLIUser]]; p != nil {
				d.cli.Username = p.UserPrincipalName
				d.cli.Password = st.Keychain[x.r.place.CLIUser]
			}
		}
	})
	return d
}

// object returns a live object of type T, or an error telling which step
// creates it.
func object[T any](x *execution, name, createdBy string) (T, error) {
	var zero T
	v, ok := x.r.objects[name]
	if !ok {
		return zero, fmt.Errorf("%s is not defined yet: run the step that creates it (%s) first", name, createdBy)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%s holds a %T, not what this step needs", name, v)
	}
	return t, nil
}

// errNoSandboxObject is returned when a sandbox action names something the
// sandbox does not have.
var errNoSandboxObject = errors.New("not in this sandbox")

// Expand replaces {placeholders} in lesson text, code and parameters with
// this sandbox's names: {vault}, {vaultUrl}, {storageAccount}, {queueUrl},
// {mainSite}, {thirdPartySite}, {apiUrl}, {secretName}, {tenantId},
// {subscriptionId}, {resourceGroup}, {clientId} and {clientSecret} (of
// localDev), {developerUpn} and {developerPassword}. See ExpandWith for the server's own values. Call it inside
// World.View.
func Expand(text string, st *world.State) string {
	if !strings.Contains(text, "{") {
		return text
	}
	return placeholders(st).Replace(text)
}

func placeholders(st *world.State) *strings.Replacer { return replacerOf(placeholderValues(st)) }

// replacerOf replaces each {name} of vals with its value.
func replacerOf(vals map[string]string) *strings.Replacer {
	pairs := make([]string, 0, 2*len(vals))
	for _, name := range placeholderNames() {
		if v, ok := vals[name]; ok {
			pairs = append(pairs, "{"+name+"}", v)
		}
	}
	return strings.NewReplacer(pairs...)
}

// placeholderNames lists the sandbox placeholders, the longer name first
// where one is the prefix of another ({vaultUrl}, {vault}).
func placeholderNames() []string {
	return []string{"vaultUrl", "vault", "queueUrl", "storageAccount", "apiUrl", "mainSite",
		"thirdPartySite", "secretName", "tenantId", "subscriptionId", "resourceGroup", "clientId", "clientSecret",
		"developerUpn", "developerPassword"}
}

// placeholderValues maps each placeholder name to its value in st.
func placeholderValues(st *world.State) map[string]string {
	names := scenario.ResourcesOf(st)
	return map[string]string{
		"vaultUrl":       names.VaultURL,
		"vault":          names.Vault,
		"queueUrl":       names.QueueURL,
		"storageAccount": names.StorageAccount,
		"apiUrl":         names.ThirdPartyAPIURL,
		"mainSite":       names.MainSite,
		"thirdPartySite": names.ThirdPartySite,
		"secretName":     scenario.SecretName,
		"tenantId":       st.TenantID,
		"subscriptionId": st.SubscriptionID,
		"resourceGroup":  scenario.ResourceGroup,
		"clientId":       localDevValue(st, EnvClientID),
		"clientSecret":   localDevValue(st, EnvClientSecret),
		// The developer user's sign-in, for `az login -u/-p` on the
		// learner's own machine (lessons 5 and 9).
		"developerUpn":      developerUPN(st),
		"developerPassword": st.Keychain[scenario.LabelDeveloper],
	}
}

// developerUPN is the developer user's sign-in name ("" when it is gone).
func developerUPN(st *world.State) string {
	if p := st.Principals[st.Labels[scenario.LabelDeveloper]]; p != nil {
		return p.UserPrincipalName
	}
	return ""
}

// expandParams fills an action's defaults and expands placeholders.
func expandParams(a *Action, params map[string]string, repl *strings.Replacer) map[string]string {
	out := map[string]string{}
	for _, p := range a.Params {
		if p.Default != "" {
			out[p.Name] = repl.Replace(p.Default)
		}
	}
	for k, v := range params {
		out[k] = repl.Replace(v)
	}
	return out
}
