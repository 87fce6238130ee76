package pyrun

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

//go:embed harness.py
var harness string

// Limits bound a worker. Zero values take the defaults.
type Limits struct {
	// Memory is the worker's address-space limit in bytes (RLIMIT_AS); the
	// Azure CLI it may start inherits it.
	Memory uint64
	// StepCPU is the CPU time a step may use; over it the step fails with
	// the harness's CPUExceeded and the worker lives on.
	StepCPU time.Duration
	// StepTimeout is the wall-clock time a step may take; over it the worker
	// is killed (a hung worker).
	StepTimeout time.Duration
	// Start is how long the interpreter may take to import the SDK.
	Start time.Duration
	// Idle stops a worker nobody used for that long.
	Idle time.Duration
}

// Defaults: the SDK's retries against an unreachable endpoint take a few
// seconds, and az sign-ins more; a learner waits at most StepTimeout.
const (
	DefaultMemory      = 1 << 30
	DefaultStepCPU     = 20 * time.Second
	DefaultStepTimeout = 60 * time.Second
	DefaultStart       = 20 * time.Second
	DefaultIdle        = 15 * time.Minute
)

func (l Limits) withDefaults() Limits {
	if l.Memory == 0 {
		l.Memory = DefaultMemory
	}
	if l.StepCPU == 0 {
		l.StepCPU = DefaultStepCPU
	}
	if l.StepTimeout == 0 {
		l.StepTimeout = DefaultStepTimeout
	}
	if l.Start == 0 {
		l.Start = DefaultStart
	}
	if l.Idle == 0 {
		l.Idle = DefaultIdle
	}
	return l
}

// Config starts a worker.
type Config struct {
	Python string   // the interpreter (see Find)
	Env    []string // the worker's whole environment; nothing is inherited
	Dir    string   // its working directory
	Limits Limits
	// Zygote, when set, forks the worker from a pre-imported interpreter
	// of the same Python instead of starting one.
	Zygote *Zygote
}

// Step is one snippet to run.
type Step struct {
	ID   string // names the code in tracebacks
	Code string // the lesson's snippet, filled (see Fill)
}

// Result is what a step did in Python.
type Result struct {
	OK     bool   `json:"ok"`
	Stdout string `json:"stdout"`
	Vars   []Var  `json:"vars"`
	Error  *Error `json:"error,omitempty"`
	Chain  *Chain `json:"chain,omitempty"`
}

// Var is a variable the step defined or changed.
type Var struct {
	Name  string `json:"name"`
	Type  string `json:"type"`            // Python's qualified type name
	Value string `json:"value,omitempty"` // str, int, float and bool only
}

// Error is the Python exception a step raised.
type Error struct {
	Type    string `json:"type"` // e.g. azure.core.exceptions.HttpResponseError
	Message string `json:"message"`
}

func (e *Error) String() string { return e.Type + ": " + e.Message }

// Chain is what a DefaultAzureCredential did during the step, read from
// azure-identity's own log records.
type Chain struct {
	Scopes   []string `json:"scopes,omitempty"`
	Answered string   `json:"answered"`
	Reused   bool     `json:"reused"`
	Links    []Link   `json:"links"`
	Error    string   `json:"error,omitempty"`
}

// Link is one credential of the chain.
type Link struct {
	Name    string `json:"name"`
	Outcome string `json:"outcome"` // answered, unavailable, failed, not tried
	Message string `json:"message,omitempty"`
	// Config is what the credential logged about its configuration when
	// it was made ("Environment is configured for ClientSecretCredential").
	Config string `json:"config,omitempty"`
}

// Info describes the interpreter a worker runs.
type Info struct {
	Python        string `json:"python"`
	AzureIdentity string `json:"azureIdentity"`
}

// Failure is a worker that stopped: it crashed, hung, went idle or never
// started. The step's objects are gone; the next Run needs a new worker.
type Failure struct {
	Reason string // "crashed", "hung", "stopped", "start"
	Detail string // the exit status and the last of stderr
}

func (f *Failure) Error() string {
	switch f.Reason {
	case "hung":
		return "pyrun: the Python program did not finish in time and was stopped; " + f.Detail
	case "stopped":
		return "pyrun: the Python program was stopped (" + f.Detail + ")"
	case "start":
		return "pyrun: the Python program did not start: " + f.Detail
	}
	return "pyrun: the Python program crashed: " + f.Detail
}

// Worker is one running interpreter. Steps run one at a time.
type Worker struct {
	info   Info
	limits Limits
	proc   process
	proto  io.WriteCloser // requests go here
	lines  chan []byte
	stderr *tail
	start  time.Duration
	forked bool

	mu     sync.Mutex // one step at a time
	idle   *time.Timer
	failed *Failure
	once   sync.Once
}

// process is a worker's operating-system process: started directly or
// forked by the zygote.
type process interface {
	pid() int
	kill()                 // ends its process group
	done() <-chan struct{} // closed when it exited (and its stderr is read)
	status() string        // how it exited, once done: "exit status 7"
}

// Start starts a worker and waits until it is ready to run a step. With a
// Zygote in cfg it forks one (milliseconds); when the fork server cannot
// run, it starts an interpreter that imports the SDK itself.
func Start(ctx context.Context, cfg Config) (*Worker, error) {
	if cfg.Zygote != nil {
		w, err := cfg.Zygote.start(ctx, cfg)
		if err == nil {
			return w, nil
		}
		var f *Failure
		if errors.As(err, &f) { // the worker itself failed, not the fork server
			return nil, err
		}
	}
	return startDirect(ctx, cfg)
}

func startDirect(ctx context.Context, cfg Config) (*Worker, error) {
	lim := cfg.Limits.withDefaults()
	began := time.Now()
	cmd := exec.Command(cfg.Python, "-I", "-c", harness, strconv.FormatUint(lim.Memory, 10))
	cmd.Env = cfg.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = cfg.Dir
	setProcAttr(cmd)
	stderr := &tail{max: 4096}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("pyrun: start: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("pyrun: start: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, &Failure{Reason: "start", Detail: err.Error()}
	}
	p := &direct{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return ready(ctx, lim, p, stdin, stdout, stderr, began)
}

// ready reads the worker's first line and makes it a Worker.
func ready(ctx context.Context, lim Limits, p process, proto io.WriteCloser, replies io.Reader, stderr *tail, began time.Time) (*Worker, error) {
	w := &Worker{limits: lim, proc: p, proto: proto, lines: make(chan []byte, 1), stderr: stderr}
	go w.read(replies)
	line, err := w.receive(ctx, lim.Start)
	if err != nil {
		w.kill()
		return nil, &Failure{Reason: "start", Detail: w.failureDetail(err)}
	}
	var r struct {
		Ready bool `json:"ready"`
		Info
	}
	if err := json.Unmarshal(line, &r); err != nil || !r.Ready {
		w.kill()
		return nil, &Failure{Reason: "start", Detail: "unexpected first line from the worker"}
	}
	w.info = r.Info
	w.start = time.Since(began)
	w.idle = time.AfterFunc(lim.Idle, func() { w.stop("idle for " + lim.Idle.String()) })
	return w, nil
}

// direct is an interpreter the server started itself.
type direct struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

func (d *direct) pid() int              { return d.cmd.Process.Pid }
func (d *direct) kill()                 { killGroup(d.cmd) }
func (d *direct) done() <-chan struct{} { return d.exited }
func (d *direct) status() string {
	if st := d.cmd.ProcessState; st != nil {
		return st.String()
	}
	return ""
}

// Info says which Python and azure-identity the worker runs.
func (w *Worker) Info() Info { return w.info }

// StartTime is how long the worker took to start and import the SDK.
func (w *Worker) StartTime() time.Duration { return w.start }

// Pid is the worker's process ID.
func (w *Worker) Pid() int { return w.proc.pid() }

// Forked reports whether the worker is a fork of the zygote.
func (w *Worker) Forked() bool { return w.forked }

func (w *Worker) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		w.lines <- bytes.Clone(sc.Bytes())
	}
	close(w.lines)
}

var errHung = errors.New("timed out")

// receive waits for the next protocol line.
func (w *Worker) receive(ctx context.Context, timeout time.Duration) ([]byte, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line, ok := <-w.lines:
		if !ok {
			<-w.proc.done()
			return nil, io.EOF
		}
		return line, nil
	case <-t.C:
		return nil, errHung
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *Worker) failureDetail(err error) string { return failureDetail(err) + w.exitText() }

func failureDetail(err error) string {
	if errors.Is(err, errHung) {
		return "it took too long"
	}
	if errors.Is(err, io.EOF) {
		return "it exited"
	}
	return err.Error()
}

func (w *Worker) exitText() string {
	s := ""
	if st := w.proc.status(); st != "" {
		s = " (" + st + ")"
	}
	if t := w.stderr.String(); t != "" {
		s += ": " + t
	}
	return s
}

// Run runs one step. A *Failure error means the worker is gone (crash,
// hang, idle stop, or the request's context ended mid-step); the step's
// own Python exception is in Result.Error.
func (w *Worker) Run(ctx context.Context, s Step) (*Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return nil, w.failed
	}
	if !w.idle.Stop() { // the idle timer fired: the worker is stopping
		return nil, &Failure{Reason: "stopped", Detail: "idle for " + w.limits.Idle.String()}
	}
	defer w.idle.Reset(w.limits.Idle)
	req, err := json.Marshal(map[string]any{"step": s.ID, "code": s.Code, "cpuSeconds": int(w.limits.StepCPU / time.Second)})
	if err != nil {
		return nil, fmt.Errorf("pyrun: run: %w", err)
	}
	if _, err := w.proto.Write(append(req, '\n')); err != nil {
		return nil, w.fail("crashed", err)
	}
	line, err := w.receive(ctx, w.limits.StepTimeout)
	if err != nil {
		reason := "crashed"
		if errors.Is(err, errHung) {
			reason = "hung"
		} else if ctx.Err() != nil {
			reason = "stopped"
		}
		return nil, w.fail(reason, err)
	}
	var res Result
	if err := json.Unmarshal(line, &res); err != nil {
		return nil, w.fail("crashed", fmt.Errorf("unreadable reply: %w", err))
	}
	return &res, nil
}

// fail kills the worker and remembers why.
func (w *Worker) fail(reason string, err error) *Failure {
	w.kill()
	f := &Failure{Reason: reason, Detail: w.failureDetail(err)}
	w.failed = f
	return f
}

func (w *Worker) stop(why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed == nil {
		w.failed = &Failure{Reason: "stopped", Detail: why}
	}
	w.kill()
}

// kill ends the worker's process group (an az it started goes too) and
// waits for it.
func (w *Worker) kill() {
	w.once.Do(func() {
		w.proc.kill()
		_ = w.proto.Close()
		<-w.proc.done()
	})
}

// Close stops the worker.
func (w *Worker) Close() error {
	if w.idle != nil {
		w.idle.Stop()
	}
	w.stop("closed")
	return nil
}

// Alive reports whether the worker can run a step.
func (w *Worker) Alive() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.proc.done():
		return false
	default:
		return w.failed == nil
	}
}

// tail keeps the last max bytes written (the worker's stderr).
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}
