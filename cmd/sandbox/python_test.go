package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/lessons/pyrun"
)

// The server as started from the command line runs lesson steps in Python
// through its own listener's proxy: one learner's lesson 1 (403 at the call,
// the fix, 200) with the page saying so.
func TestServerRunsLessonsInPython(t *testing.T) {
	if _, _, err := pyrun.Find(context.Background(), ""); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs Python with python3-azure: %v", err)
		}
		t.Skipf("no Python with the Azure SDK: %v", err)
	}
	m := startLoadServer(t)
	pem, err := os.ReadFile(m.CAPath())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l := &learner{base: m.URL(), pool: pool, st: &loadStats{}}
	if err := l.lesson1(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := l.do(ctx, kindPage, "GET", "/sandboxes/"+l.sb.ID+"/lessons/"+loadLesson, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("· in Python")) || bytes.Contains(page, []byte("· in Go")) {
		t.Fatalf("the steps did not run in Python")
	}
}
