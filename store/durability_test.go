package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// runChild is the child process of TestDurabilityKill9: it writes forever,
// printing "ACK <n>" only after iteration n's writes all returned (are
// committed), the way a server acknowledges a request. Iteration n puts
// secret "s<n>", saves world {"n":n} and appends an exchange with URL n.
func runChild() int {
	ctx := context.Background()
	db, err := Open(ctx, os.Getenv("STORE_CHILD_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := db.CreateSandbox(ctx, &Sandbox{ID: "sb", AccessKey: "k"}, []byte(`{"n":0}`)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for n := 1; ; n++ {
		if err := db.PutSecret(ctx, fmt.Sprint("s", n), []byte(strconv.Itoa(n))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if err := db.SaveWorld(ctx, "sb", fmt.Appendf(nil, `{"n":%d}`, n)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if err := db.AppendExchange(ctx, &trace.Exchange{SandboxID: "sb", URL: strconv.Itoa(n)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		// os.Stdout is unbuffered: the line leaves the process now.
		fmt.Printf("ACK %d\n", n)
	}
}

// TestDurabilityKill9 starts a real child process that writes and
// acknowledges, SIGKILLs it mid-stream, reopens the file and checks that
// every acknowledged write is there.
func TestDurabilityKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "kill9.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STORE_CHILD=1", "STORE_CHILD_DB="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const wantAcks = 300 // more than the trace limit, so trimming runs too
	acked := 0
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for acked < wantAcks && sc.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ACK "))
		if err != nil || n != acked+1 {
			t.Fatalf("child said %q after ACK %d", sc.Text(), acked)
		}
		acked = n
	}
	// The child is still writing: the kill lands mid-transaction or
	// between them, never after a clean shutdown.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v (after %d ACKs)", err, acked)
	}
	if acked < wantAcks {
		t.Fatalf("child stopped after %d ACKs", acked)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Logf("no WAL file left behind (%v); the test still checks the data", err)
	}

	db, err := Open(context.Background(), path, WithTraceLimit(trace.DefaultLimit))
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	for n := 1; n <= acked; n++ {
		v, err := db.Secret(ctx, fmt.Sprint("s", n))
		if err != nil || string(v) != strconv.Itoa(n) {
			t.Fatalf("acknowledged secret s%d: %q, %v", n, v, err)
		}
	}
	w, err := db.World(ctx, "sb")
	if err != nil {
		t.Fatal(err)
	}
	var got int
	if _, err := fmt.Sscanf(string(w), `{"n":%d}`, &got); err != nil || got < acked {
		t.Errorf("world = %s, want n >= %d (last acknowledged)", w, acked)
	}
	exs, err := db.Exchanges(ctx, "sb", 0)
	if err != nil {
		t.Fatal(err)
	}
	last := exs[len(exs)-1].Seq
	if last < int64(acked) {
		t.Errorf("newest exchange seq %d, want >= %d", last, acked)
	}
	for i, e := range exs {
		if e.URL != strconv.FormatInt(e.Seq, 10) || (i > 0 && e.Seq != exs[i-1].Seq+1) {
			t.Fatalf("trace damaged at %d: seq %d url %q", i, e.Seq, e.URL)
		}
	}
	if int64(len(exs)) != min(last, trace.DefaultLimit) {
		t.Errorf("trace holds %d, want %d", len(exs), min(last, trace.DefaultLimit))
	}
	var ok string
	if err := db.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
	t.Logf("%d acknowledged iterations survived kill -9 (3 commits each)", acked)
}
