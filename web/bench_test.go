package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkCreateSandbox creates walkthrough sandboxes through the API
// handler (JSON decode, world build, SQLite insert, response).
func BenchmarkCreateSandbox(b *testing.B) {
	e := newEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/sandboxes", strings.NewReader(`{"scenario":"walkthrough"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.app.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("create = %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkTraceRead reads a full 500-exchange trace through the API
// handler (bearer lookup, list, JSON encoding).
func BenchmarkTraceRead(b *testing.B) {
	e := newEnv(b)
	sb := e.createAnon("")
	recordExchanges(b, e, sb.ID, 500)
	if n := len(e.book.List(sb.ID, 0)); n != 500 {
		b.Fatalf("trace holds %d", n)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/sandboxes/"+sb.ID+"/trace", nil)
		req.Header.Set("Authorization", "Bearer "+sb.AccessKey)
		rec := httptest.NewRecorder()
		e.app.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("trace = %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/response")
}
