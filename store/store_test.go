package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// The store is what the sim's world and the trace recorder write to.
var (
	_ world.Persister = (*DB)(nil)
	_ trace.Sink      = (*DB)(nil)
	_ interface {
		AppendExchange(context.Context, *trace.Exchange) error
	} = (*DB)(nil)
)

func TestMain(m *testing.M) {
	// Re-exec pattern: the durability test starts this binary as a child
	// that writes and acknowledges rows until it is killed.
	if os.Getenv("STORE_CHILD") == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// fakeClock is a settable clock for deterministic timestamps.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func openTest(t testing.TB, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "data", "sandbox.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestOpenTwiceAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "s.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutSecret(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		db, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		var n, applied int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &applied); err != nil {
			t.Fatal(err)
		}
		ms, _ := migrations()
		if n != len(ms) || applied != len(ms) {
			t.Errorf("schema_migrations rows = %d (distinct %d), want %d", n, applied, len(ms))
		}
		if v, err := db.Secret(ctx, "k"); err != nil || string(v) != "v" {
			t.Errorf("Secret after reopen = %q, %v", v, err)
		}
		db.Close()
	}
}

func TestOpenPragmas(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	checks := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "10000"},
	}
	for _, c := range checks {
		t.Run(c.pragma, func(t *testing.T) {
			for name, pool := range map[string]*sql.DB{"writer": db.w, "reader": db.r} {
				var got string
				if err := pool.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("%s: PRAGMA %s = %q, want %q", name, c.pragma, got, c.want)
				}
			}
		})
	}
	t.Run("the writer's page cache", func(t *testing.T) {
		var kib int
		if err := db.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil || kib != -writerCacheKiB {
			t.Fatalf("writer's cache_size = %d (%v), want %d (KiB)", kib, err, -writerCacheKiB)
		}
	})
	t.Run("readers are query-only", func(t *testing.T) {
		_, err := db.r.ExecContext(ctx, `INSERT INTO secrets(name, value, updated_at) VALUES('x', x'00', 0)`)
		if err == nil {
			t.Fatal("write through the reader pool succeeded")
		}
	})
}

func TestFilesAreOwnerOnly(t *testing.T) {
	db := openTest(t)
	if err := db.PutSecret(context.Background(), "ca", []byte("key")); err != nil {
		t.Fatal(err)
	}
	var path string
	if err := db.r.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm", filepath.Dir(path)} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want owner-only", filepath.Base(f), st.Mode().Perm())
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
	}{
		{"empty", ""},
		{"query in path", filepath.Join(dir, "a.db?mode=ro")},
		{"parent is a file", filepath.Join(dir, "file", "a.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
			if db, err := Open(ctx, tc.path); err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES(9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(ctx, path); err == nil {
		db.Close()
		t.Fatal("Open of a database from a newer program succeeded")
	}
}

func TestPing(t *testing.T) {
	db := openTest(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping with a cancelled context succeeded")
	}
}

func TestSecrets(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.Secret(ctx, "ca"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Secret(missing) err = %v, want ErrNotFound", err)
	}
	for _, v := range []string{"first", "second", ""} {
		if err := db.PutSecret(ctx, "ca", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := db.Secret(ctx, "ca")
		if err != nil || string(got) != v {
			t.Errorf("Secret = %q, %v; want %q", got, err, v)
		}
	}
	if err := db.PutSecret(ctx, "", []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutSecret(empty name) err = %v, want ErrInvalid", err)
	}
}

// TestOpenConcurrently opens one fresh file from several goroutines (two
// processes starting at once behave the same): each must succeed, and the
// migrations must be applied exactly once.
func TestOpenConcurrently(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	const n = 6
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(ctx, path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		defer dbs[i].Close()
	}
	if dbs[0] == nil {
		t.FailNow()
	}
	var rows int
	if err := dbs[0].r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if ms, _ := migrations(); rows != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", rows, len(ms))
	}
}
