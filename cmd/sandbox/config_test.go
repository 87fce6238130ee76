package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/azure"
)

// defaultLimits are the limits' defaults, for a class of 100.
var defaultLimits = Limits{ProxyRate: 50, ProxyBurst: 200, StreamsPerSandbox: 8, StreamsPerLearner: 16,
	QueueMessages: 1000, QueueBytes: 1 << 20, SandboxQueueMsgs: 2000, SandboxQueueBytes: 2 << 20,
	SandboxesPerLearner: 10, CreatesPerMinute: 10, CreatesBurst: 10, MaxSandboxes: 1000}

type flagCase struct {
	name    string
	args    []string
	env     map[string]string
	want    Config
	wantErr string
}

func TestParseFlags(t *testing.T) {
	cases := []flagCase{
		{name: "defaults", want: Config{Addr: "127.0.0.1:8080", DataDir: "./sandbox-data", LogLevel: "info", TraceLimit: 500, Limits: defaultLimits}},
		{name: "environment", env: map[string]string{
			"SANDBOX_ADDR": ":9000", "SANDBOX_DATA": "/var/sbx", "SANDBOX_PUBLIC_URL": "http://10.0.0.5:9000",
			"SANDBOX_LOG_LEVEL": "debug", "SANDBOX_LESSONS": "/les", "SANDBOX_TRACE_LIMIT": "50",
		}, want: Config{Addr: ":9000", DataDir: "/var/sbx", PublicURL: "http://10.0.0.5:9000", LogLevel: "debug", LessonsDir: "/les", TraceLimit: 50, Limits: defaultLimits}},
		{name: "flags beat environment", args: []string{"--addr", "127.0.0.1:0", "--data", "d", "--trace-limit", "7", "--log-level", "warn"},
			env:  map[string]string{"SANDBOX_ADDR": ":9000", "SANDBOX_TRACE_LIMIT": "50"},
			want: Config{Addr: "127.0.0.1:0", DataDir: "d", LogLevel: "warn", TraceLimit: 7, Limits: defaultLimits}},
		{name: "pprof on loopback", args: []string{"--pprof", "127.0.0.1:6060"},
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./sandbox-data", LogLevel: "info", TraceLimit: 500, Pprof: "127.0.0.1:6060", Limits: defaultLimits}},
		{name: "pprof off the machine", args: []string{"--pprof", "0.0.0.0:6060"}, wantErr: "--pprof"},
		{name: "pprof without port", env: map[string]string{"SANDBOX_PPROF": "localhost"}, wantErr: "--pprof"},
		{name: "limits from flags and environment", args: []string{"--proxy-rate", "2.5", "--queue-messages", "10", "--streams-per-learner", "3"},
			env: map[string]string{"SANDBOX_PROXY_BURST": "9", "SANDBOX_QUEUE_MESSAGES": "20", "SANDBOX_SANDBOX_QUEUE_BYTES": "100000"},
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./sandbox-data", LogLevel: "info", TraceLimit: 500, Limits: Limits{
				ProxyRate: 2.5, ProxyBurst: 9, StreamsPerSandbox: 8, StreamsPerLearner: 3,
				QueueMessages: 10, QueueBytes: 1 << 20, SandboxQueueMsgs: 2000, SandboxQueueBytes: 100000,
				SandboxesPerLearner: 10, CreatesPerMinute: 10, CreatesBurst: 10, MaxSandboxes: 1000}}},
		{name: "creation limits", args: []string{"--sandboxes-per-learner", "3", "--creates-per-minute", "0.5"},
			env: map[string]string{"SANDBOX_CREATES_BURST": "100", "SANDBOX_MAX_SANDBOXES": "50"},
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./sandbox-data", LogLevel: "info", TraceLimit: 500, Limits: func() Limits {
				l := defaultLimits
				l.SandboxesPerLearner, l.CreatesPerMinute, l.CreatesBurst, l.MaxSandboxes = 3, 0.5, 100, 50
				return l
			}()}},
		{name: "bad limit", args: []string{"--queue-messages", "1.5"}, wantErr: "--queue-messages"},
		{name: "bad limit env", env: map[string]string{"SANDBOX_STREAMS_PER_SANDBOX": "0"}, wantErr: "--streams-per-sandbox"},
		{name: "bad level", args: []string{"--log-level", "loud"}, wantErr: "--log-level"},
		{name: "bad public URL", args: []string{"--public-url", "10.0.0.5:8080"}, wantErr: "--public-url"},
		{name: "public URL with credentials", args: []string{"--public-url", "http://u:p@host"}, wantErr: "--public-url"},
		{name: "bad trace limit", args: []string{"--trace-limit", "0"}, wantErr: "--trace-limit"},
		{name: "bad trace limit env", env: map[string]string{"SANDBOX_TRACE_LIMIT": "many"}, wantErr: "--trace-limit"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected argument"},
		{name: "unknown flag", args: []string{"--port", "1"}, wantErr: "flag provided but not defined"},
	}
	azureDefaults := azure.Config{Location: "eastus", ResourceGroupPrefix: "auth-sandbox-", Cloud: "public"}
	for i := range cases {
		if cases[i].want.Azure == (azure.Config{}) {
			cases[i].want.Azure = azureDefaults
		}
	}
	cases = append(cases,
		flagCase{name: "real Azure from the environment", env: map[string]string{
			"SANDBOX_AZURE_SUBSCRIPTION": "6C1F0B8E-3A2D-4E5F-9A8B-7C6D5E4F3A2B", "SANDBOX_AZURE_LOCATION": "westeurope",
			"SANDBOX_AZURE_RESOURCE_GROUP_PREFIX": "class-", "SANDBOX_AZURE_CLOUD": "AzureUSGovernment",
		}, want: Config{Addr: "127.0.0.1:8080", DataDir: "./sandbox-data", LogLevel: "info", TraceLimit: 500,
			Azure: azure.Config{Subscription: "6c1f0b8e-3a2d-4e5f-9a8b-7c6d5e4f3a2b", Location: "westeurope", ResourceGroupPrefix: "class-", Cloud: "azureusgovernment"}, Limits: defaultLimits}},
		flagCase{name: "unknown cloud", args: []string{"--azure-subscription", "6c1f0b8e-3a2d-4e5f-9a8b-7c6d5e4f3a2b", "--azure-cloud", "mars"}, wantErr: "--azure-cloud"},
		flagCase{name: "malformed subscription", args: []string{"--azure-subscription", "sub-1"}, wantErr: "--azure-subscription must be a subscription ID"},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMain(nil, nil, func(k string) string { return tc.env[k] })
			err := m.ParseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Config != tc.want {
				t.Errorf("config = %+v, want %+v", m.Config, tc.want)
			}
		})
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	m := NewMain(nil, &out, nil)
	if err := m.ParseFlags([]string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"-addr", "SANDBOX_ADDR", "-data", "SANDBOX_DATA", "-public-url", "SANDBOX_PUBLIC_URL",
		"-log-level", "SANDBOX_LOG_LEVEL", "-lessons", "SANDBOX_LESSONS", "-trace-limit", "SANDBOX_TRACE_LIMIT",
		"127.0.0.1:0", "lessons check"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr, func(string) string { return "" }); code != 0 {
		t.Errorf("run -h = %d", code)
	}
	if code := run(context.Background(), []string{"--nope"}, &stdout, &stderr, func(string) string { return "" }); code != 2 {
		t.Errorf("run --nope = %d", code)
	}
}

func TestLessonsCheckCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"lessons", "check"}, &out, &errb, nil); code != 0 {
		t.Fatalf("lessons check = %d: %s%s", code, out.String(), errb.String())
	}
	if out.Len() == 0 {
		t.Error("lessons check printed nothing")
	}
	if code := run(context.Background(), []string{"lessons", "frobnicate"}, &out, &errb, nil); code != 2 {
		t.Errorf("lessons frobnicate = %d", code)
	}
}
