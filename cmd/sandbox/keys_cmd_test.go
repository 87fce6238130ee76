package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/store"
)

func TestKeysRotate(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	getenv := func(string) string { return "" }
	var out, errs bytes.Buffer
	if code := run(ctx, []string{"keys", "rotate", "--data", data}, &out, &errs, getenv); code != 1 || !strings.Contains(errs.String(), "start the server once") {
		t.Fatalf("rotate before the first start: code %d, %q", code, errs.String())
	}

	m := NewMain(io.Discard, io.Discard, getenv)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", data}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	before := loadKeys(t, data)

	out.Reset()
	errs.Reset()
	if code := run(ctx, []string{"keys", "rotate", "--data", data}, &out, &errs, getenv); code != 0 {
		t.Fatalf("rotate: code %d: %s", code, errs.String())
	}
	after := loadKeys(t, data)
	if after.ActiveKID() == before.ActiveKID() {
		t.Fatal("the active key did not change")
	}
	if !slices.Contains(after.KIDs(), before.ActiveKID()) {
		t.Fatal("the previous key is no longer published: tokens it signed would stop validating")
	}
	if !strings.Contains(out.String(), after.ActiveKID()) {
		t.Errorf("output does not name the new key: %q", out.String())
	}
	if code := run(ctx, []string{"keys", "spin"}, &out, &errs, getenv); code != 2 {
		t.Errorf("unknown keys subcommand: code %d", code)
	}
}

func loadKeys(t *testing.T, data string) *entra.KeySet {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(data, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pem, err := db.Secret(context.Background(), secretSigningKeys)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := entra.ParseKeySet(pem)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}
