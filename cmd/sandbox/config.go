package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Config is the server's configuration: flags, each with a SANDBOX_*
// environment variable as its default.
type Config struct {
	Addr       string
	DataDir    string
	PublicURL  string
	LogLevel   string
	LessonsDir string
	TraceLimit int
	// Pprof is a loopback address serving net/http/pprof ("" = off).
	Pprof string
	// Azure configures real Azure mode (off without a subscription).
	Azure  azure.Config
	Limits Limits
	// Python runs the lessons' Python steps: a path, "" for Debian's
	// /usr/bin/python3, "off" for none (the Python tab then runs Go).
	Python string
}

// Limits are the caps that keep one hostile or careless learner from
// flooding a shared server; the defaults suit a class of 100.
type Limits struct {
	ProxyRate           float64 // requests per second per sandbox (anonymous: per client address)
	ProxyBurst          int
	StreamsPerSandbox   int
	StreamsPerLearner   int
	QueueMessages       int // per queue
	QueueBytes          int
	SandboxQueueMsgs    int // all of a sandbox's queues
	SandboxQueueBytes   int
	SandboxesPerLearner int
	CreatesPerMinute    float64 // per client address
	CreatesBurst        int
	MaxSandboxes        int
}

// Environment variables, in the order of the flags.
const (
	envAddr       = "SANDBOX_ADDR"
	envData       = "SANDBOX_DATA"
	envPublicURL  = "SANDBOX_PUBLIC_URL"
	envLogLevel   = "SANDBOX_LOG_LEVEL"
	envLessons    = "SANDBOX_LESSONS"
	envTraceLimit = "SANDBOX_TRACE_LIMIT"
	envPprof      = "SANDBOX_PPROF"
	envPython     = "SANDBOX_PYTHON"
)

const usageHeader = `sandbox: a browser-based learning sandbox for authenticating apps to Azure,
with a simulated Azure behind it (no Azure account needed).

Usage:
  sandbox [flags]                 start the server
  sandbox lessons check [DIR]     validate lessons (the embedded ones, or DIR)
  sandbox keys rotate [--data D]  new token-signing key; older ones stay valid
  sandbox azure check             what the server's identity may do in the subscription
  sandbox azure cleanup [--yes]   list (and delete) real-mode leftovers by tag

Flags (each can also be set with the environment variable shown):
`

// ParseFlags reads the configuration from args, with defaults from the
// environment. It returns flag.ErrHelp after printing help for -h/--help.
func (m *Main) ParseFlags(args []string) error {
	getenv := m.Getenv
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	c := &m.Config
	fs.StringVar(&c.Addr, "addr", env(envAddr, "127.0.0.1:8080"),
		"listen address `host:port` of the web app and the proxy; 127.0.0.1:0 picks a free port (the printed URL says which) ["+envAddr+"]")
	fs.StringVar(&c.DataDir, "data", env(envData, "./sandbox-data"),
		"data `directory`: SQLite database, proxy CA (ca.pem), signing keys; created when missing ["+envData+"]")
	fs.StringVar(&c.PublicURL, "public-url", env(envPublicURL, ""),
		"`URL` learners reach this server at, for classroom servers on a LAN (e.g. http://10.0.0.5:8080); used in printed URLs and the API's proxyUrl/caCertUrl; default: the listen address ["+envPublicURL+"]")
	fs.StringVar(&c.LogLevel, "log-level", env(envLogLevel, "info"),
		"log `level`: debug, info, warn or error ["+envLogLevel+"]")
	fs.StringVar(&c.LessonsDir, "lessons", env(envLessons, ""),
		"optional `directory` of lessons that add to or override the embedded ones ["+envLessons+"]")
	fs.StringVar(&c.Python, "python", env(envPython, ""),
		"the Python 3 `path` with the Azure SDK (Debian's python3-azure) that runs lessons' Python steps; default /usr/bin/python3; off: steps run in Go only ["+envPython+"]")
	fs.StringVar(&c.Pprof, "pprof", env(envPprof, ""),
		"loopback `host:port` serving Go's profiler (/debug/pprof/) for performance work; off by default ["+envPprof+"]")
	limit := env(envTraceLimit, strconv.Itoa(trace.DefaultLimit))
	fs.Func("trace-limit", "how many exchanges each sandbox's trace keeps, oldest dropped (`n`, default "+strconv.Itoa(trace.DefaultLimit)+") ["+envTraceLimit+"]",
		func(v string) error { limit = v; return nil })
	azureFlags(fs, &c.Azure, getenv)
	nums := []*numFlag{
		{name: "proxy-rate", env: "SANDBOX_PROXY_RATE", def: "50", min: 0.1, max: 1e6, float: &c.Limits.ProxyRate,
			usage: "proxy requests per second per sandbox (anonymous traffic: per client address); beyond it 429 with Retry-After"},
		{name: "proxy-burst", env: "SANDBOX_PROXY_BURST", def: "200", min: 1, max: 1e6, int: &c.Limits.ProxyBurst,
			usage: "proxy requests a sandbox may send at once before --proxy-rate applies"},
		{name: "streams-per-sandbox", env: "SANDBOX_STREAMS_PER_SANDBOX", def: "8", min: 1, max: 10000, int: &c.Limits.StreamsPerSandbox,
			usage: "open live-diagram streams per sandbox; beyond it 429"},
		{name: "streams-per-learner", env: "SANDBOX_STREAMS_PER_LEARNER", def: "16", min: 1, max: 10000, int: &c.Limits.StreamsPerLearner,
			usage: "open live-diagram streams per learner, over all their sandboxes; beyond it 429"},
		{name: "queue-messages", env: "SANDBOX_QUEUE_MESSAGES", def: "1000", min: 1, max: 1e7, int: &c.Limits.QueueMessages,
			usage: "messages per storage queue; beyond it 409 QueueQuotaExceeded"},
		{name: "queue-bytes", env: "SANDBOX_QUEUE_BYTES", def: "1048576", min: 65536, max: 1 << 30, int: &c.Limits.QueueBytes,
			usage: "bytes of message text per storage queue; beyond it 409 QueueQuotaExceeded"},
		{name: "sandbox-queue-messages", env: "SANDBOX_SANDBOX_QUEUE_MESSAGES", def: "2000", min: 1, max: 1e7, int: &c.Limits.SandboxQueueMsgs,
			usage: "messages in all of a sandbox's queues; beyond it 409 QueueQuotaExceeded"},
		{name: "sandbox-queue-bytes", env: "SANDBOX_SANDBOX_QUEUE_BYTES", def: "2097152", min: 65536, max: 1 << 30, int: &c.Limits.SandboxQueueBytes,
			usage: "bytes of message text in all of a sandbox's queues; beyond it 409 QueueQuotaExceeded"},
	}
	nums = append(nums,
		&numFlag{name: "sandboxes-per-learner", env: "SANDBOX_SANDBOXES_PER_LEARNER", def: "10", min: 1, max: 1e6, int: &c.Limits.SandboxesPerLearner,
			usage: "sandboxes one learner may hold; beyond it 409 QuotaExceeded"},
		&numFlag{name: "creates-per-minute", env: "SANDBOX_CREATES_PER_MINUTE", def: "10", min: 0.1, max: 1e6, float: &c.Limits.CreatesPerMinute,
			usage: "sandboxes one client address may create per minute (after --creates-burst); beyond it 429 with Retry-After"},
		&numFlag{name: "creates-burst", env: "SANDBOX_CREATES_BURST", def: "10", min: 1, max: 1e6, int: &c.Limits.CreatesBurst,
			usage: "sandboxes one client address may create at once; raise it when a class reaches the server through one NAT address"},
		&numFlag{name: "max-sandboxes", env: "SANDBOX_MAX_SANDBOXES", def: "1000", min: 1, max: 1e7, int: &c.Limits.MaxSandboxes,
			usage: "sandboxes the server holds at most; beyond it 503 with Retry-After"},
	)
	for _, n := range nums {
		n.register(fs, env(n.env, n.def))
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	n, err := strconv.Atoi(limit)
	if err != nil || n < 1 || n > 100000 {
		return fmt.Errorf("--trace-limit must be an integer from 1 to 100000, got %q", limit)
	}
	c.TraceLimit = n
	for _, nf := range nums {
		if err := nf.parse(); err != nil {
			return err
		}
	}
	return c.validate()
}

func (c *Config) validate() error {
	if c.Addr == "" {
		return errors.New("--addr must not be empty")
	}
	if c.DataDir == "" {
		return errors.New("--data must not be empty")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.Pprof != "" {
		// The profiler shows memory and goroutines: never off the machine.
		host, _, err := net.SplitHostPort(c.Pprof)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("--pprof must be a loopback address such as 127.0.0.1:6060, got %q", c.Pprof)
		}
	}
	if err := c.Azure.Validate(); err != nil {
		return err
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fmt.Errorf("--public-url must be an absolute http(s) URL such as http://10.0.0.5:8080, got %q", c.PublicURL)
		}
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level must be debug, info, warn or error, got %q", s)
}

// numFlag is a numeric flag with an environment default and a range,
// checked after parsing so the environment's value is checked too.
type numFlag struct {
	name, env, def, usage string
	min, max              float64
	int                   *int
	float                 *float64
	raw                   string
}

func (n *numFlag) register(fs *flag.FlagSet, initial string) {
	n.raw = initial
	fs.Func(n.name, n.usage+" (`n`, default "+n.def+") ["+n.env+"]", func(v string) error { n.raw = v; return nil })
}

func (n *numFlag) parse() error {
	v, err := strconv.ParseFloat(strings.TrimSpace(n.raw), 64)
	if err == nil && n.int != nil && v != float64(int(v)) {
		err = errors.New("not an integer")
	}
	if err != nil || v < n.min || v > n.max {
		return fmt.Errorf("--%s must be a number from %g to %g, got %q", n.name, n.min, n.max, n.raw)
	}
	if n.int != nil {
		*n.int = int(v)
	} else {
		*n.float = v
	}
	return nil
}
