package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// The writer's connection only checkpoints as a backstop (walBackstop
// pages, far more than written here); the WAL still reaches the database
// file while it is open, copied by the background checkpoint.
func TestWALIsCheckpointedOffTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Twice: the second is harmless, as callers rely on.
		for range 2 {
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		}
	}()
	var pages int
	if err := db.w.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != walBackstop {
		t.Fatalf("writer's wal_autocheckpoint = %d (%v), want %d", pages, err, walBackstop)
	}
	mustSandbox(t, db, "sb", "")
	before := fileSize(t, path)
	body := strings.Repeat("x", 3000)
	for i := range 400 { // about 1.3 MB of rows, some 400 pages
		if err := db.QueueExchange(&trace.Exchange{SandboxID: "sb", URL: fmt.Sprint(i), ResponseBody: body}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, path) < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes (%d before the writes): the WAL was not checkpointed", fileSize(t, path), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
