package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// process is the built sandbox binary running in its own process.
type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	exited chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildBinary builds ./cmd/sandbox with the go command that runs the tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sandbox")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startProcess starts the binary on 127.0.0.1:0 (with any extra flags) and
// waits for the URL it prints.
func startProcess(t *testing.T, bin, data string, flags ...string) *process {
	t.Helper()
	args := append([]string{"--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn"}, flags...)
	p := &process{cmd: exec.Command(bin, args...),
		stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "SANDBOX_PUBLIC_URL=") // the printed URL must be the listener's
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.url = <-urls:
	case err := <-p.exited:
		t.Fatalf("server exited before listening: %v\n%s", err, p.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not print its URL\n%s", p.stderr)
	}
	return p
}

func (p *process) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// Every change the server acknowledged survives kill -9 and a restart on
// the same data directory: the sandbox, its clock, a role assignment made
// through ARM via the proxy, its trace, and the CA and token-signing keys
// (a CA pool and a token from before the crash still work after it).
func TestKill9KeepsAcknowledgedChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	ctx := context.Background()

	first := startProcess(t, bin, data)
	sb := createSandbox(t, first.url)
	var clock struct {
		ClockOffsetSeconds int64 `json:"clockOffsetSeconds"`
	}
	api(t, first.url, sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":3600}`, &clock)
	pool := caPool(t, sb.CACertURL)
	client := proxyClient(sb, pool)
	owner := credential(t, sb, "owner", client)
	name := assignSecretsUser(t, ctx, sb, roleAssignments(t, sb, owner, client))
	localDev := credential(t, sb, "localDev", client)
	tok, err := localDev.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secretsClient(t, sb, localDev, client).GetSecret(ctx, sb.SecretName, "", nil); err != nil {
		t.Fatalf("GetSecret before the crash: %v", err)
	}
	before := readTrace(t, first.url, sb)
	if len(before) < 4 {
		t.Fatalf("trace before the crash: %v", before)
	}

	first.kill9(t)
	second := startProcess(t, bin, data)

	var again sandboxInfo
	api(t, second.url, sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID, "", &again)
	if again.TenantID != sb.TenantID || again.Principals["localDev"].ClientSecret != sb.Principals["localDev"].ClientSecret {
		t.Fatalf("sandbox after restart differs: %+v", again)
	}
	api(t, second.url, sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":0}`, &clock)
	if clock.ClockOffsetSeconds != 3600 {
		t.Errorf("clock offset after restart = %ds, want 3600", clock.ClockOffsetSeconds)
	}

	// The old CA pool and the old token, through the new process: the CA
	// and signing keys persisted, and so did the role assignment.
	client2 := proxyClient(again, pool)
	req, _ := http.NewRequest("GET", sb.KeyVaultURL+"/secrets/"+sb.SecretName+"?api-version=7.5", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, err := client2.Do(req)
	if err != nil {
		t.Fatalf("Key Vault through the restarted proxy with the old CA: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("GetSecret with the pre-crash token = %d, want 200", res.StatusCode)
	}
	owner2 := credential(t, again, "owner", client2)
	pager := roleAssignments(t, again, owner2, client2).NewListForScopePager(sb.vaultID(), nil)
	var found bool
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list role assignments: %v", err)
		}
		for _, ra := range page.Value {
			if ra.Name != nil && *ra.Name == name {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("role assignment %s lost", name)
	}

	after := readTrace(t, second.url, sb)
	if len(after) < len(before) {
		t.Fatalf("trace has %d exchanges after restart, %d before", len(after), len(before))
	}
	for i, ex := range before {
		if after[i].URL != ex.URL || after[i].Status != ex.Status || after[i].Method != ex.Method {
			t.Errorf("trace[%d] = %v, before the crash %v", i, after[i], ex)
		}
	}

	// SIGTERM is a graceful shutdown with exit status 0.
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second.exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, second.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit 30s after SIGTERM")
	}
	if !strings.Contains(second.stderr.String(), "shutting down") {
		t.Errorf("stderr: %s", second.stderr)
	}
}
