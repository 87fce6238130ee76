package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/store"
)

func TestInstructorCommand(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	getenv := func(string) string { return "" }

	// A fresh server's banner says how to get an instructor link.
	var banner bytes.Buffer
	m := NewMain(&banner, io.Discard, getenv)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", data}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if !strings.Contains(banner.String(), "sandbox instructor add") {
		t.Fatalf("banner does not say how to add an instructor:\n%s", banner.String())
	}

	var out, errs bytes.Buffer
	code := run(ctx, []string{"instructor", "add", "Ada Lovelace", "--data", data, "--public-url", "http://10.0.0.5:8080"}, &out, &errs, getenv)
	if code != 0 {
		t.Fatalf("add: %d %s", code, errs.String())
	}
	link := regexp.MustCompile(`http://10\.0\.0\.5:8080/instructor/signin\?token=[A-Za-z0-9_-]{43}`).FindString(out.String())
	if link == "" {
		t.Fatalf("no sign-in link in %q", out.String())
	}
	u, _ := url.Parse(link)
	token := u.Query().Get("token")

	db, err := store.Open(ctx, filepath.Join(data, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.RedeemInstructorLink(ctx, token, "browser-1"); err != nil {
		t.Fatalf("the printed link does not sign in: %v", err)
	}

	out.Reset()
	if code := run(ctx, []string{"instructor", "remove", "Ada Lovelace", "--data", data}, &out, &errs, getenv); code != 0 {
		t.Fatalf("remove: %d %s", code, errs.String())
	}
	if _, err := db.InstructorBySession(ctx, "browser-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a removed instructor's browser still works: %v", err)
	}
	errs.Reset()
	if code := run(ctx, []string{"instructor", "remove", "Nobody", "--data", data}, &out, &errs, getenv); code != 1 || !strings.Contains(errs.String(), "no instructor named") {
		t.Fatalf("remove unknown: %d %q", code, errs.String())
	}
	for _, args := range [][]string{{"instructor"}, {"instructor", "add"}, {"instructor", "frob", "x"},
		{"instructor", "add", "X", "--data", data, "--public-url", "ftp://x"}} {
		if code := run(ctx, args, io.Discard, io.Discard, getenv); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
