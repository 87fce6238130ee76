package queue

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// FuzzQueueRequest throws arbitrary requests at the service. With sign set
// the request carries a valid Shared Key signature, so it passes
// authentication and reaches the operation handlers. Any input must get an
// Azure-shaped answer: no panic, never a 5xx.
func FuzzQueueRequest(f *testing.F) {
	fx := newFixture(f)
	var key string
	fx.w.View(func(st *world.State) { key = st.StorageAccount(fx.account).AccountKey })
	seeds := []struct {
		method, path, query, body, hname, hval string
		sign                                   bool
	}{
		{"GET", "/", "comp=list&include=metadata&maxresults=2", "", "x-ms-meta-a", "b", true},
		{"PUT", "/orders", "", "", "x-ms-meta-kind", "x", true},
		{"PUT", "/orders", "comp=metadata", "", "x-ms-meta-", "x", true},
		{"POST", "/messages/messages", "messagettl=-1&visibilitytimeout=5", "<QueueMessage><MessageText>hi</MessageText></QueueMessage>", "", "", true},
		{"GET", "/messages/messages", "numofmessages=32&visibilitytimeout=1", "", "", "", true},
		{"GET", "/messages/messages", "peekonly=true", "", "", "", true},
		{"PUT", "/messages/messages/id", "popreceipt=x&visibilitytimeout=0", "<QueueMessage><MessageText>u</MessageText></QueueMessage>", "", "", true},
		{"DELETE", "/messages/messages/id", "popreceipt=x", "", "", "", true},
		{"DELETE", "/messages/messages", "", "", "", "", true},
		{"DELETE", "/messages", "", "", "", "", true},
		{"GET", "/messages/messages", "", "", "Authorization", "Bearer a.b.c", false},
		{"GET", "/", "comp=list", "", "Authorization", "SharedKey x", false},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.body, s.hname, s.hval, s.sign)
	}
	f.Fuzz(func(t *testing.T, method, path, query, body, hname, hval string, sign bool) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") {
			method = http.MethodGet
		}
		host := fx.account + service.SuffixQueue
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Scheme: "https", Host: host, Path: path, RawQuery: query},
			Host:       host,
			Header:     http.Header{},
			Body:       io.NopCloser(strings.NewReader(body)),
			RemoteAddr: "127.0.0.1:1",
		}
		r.ContentLength = int64(len(body))
		r.Header.Set("x-ms-version", version)
		r.Header.Set("x-ms-date", time.Now().UTC().Format(http.TimeFormat))
		if hname != "" {
			r.Header[hname] = []string{hval}
		}
		if sign && !strings.EqualFold(hname, "Authorization") {
			kb, _ := base64.StdEncoding.DecodeString(key)
			mac := hmac.New(sha256.New, kb)
			mac.Write([]byte(stringToSign(canonicalRequest(r), fx.account)))
			r.Header.Set("Authorization", "SharedKey "+fx.account+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		}
		rec := httptest.NewRecorder()
		fx.svc.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s: %d %s", method, path, query, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("x-ms-error-code") == "" {
			t.Fatalf("%d without x-ms-error-code", rec.Code)
		}
		// Keep executions independent: the fixture is shared, and an
		// ever-growing queue would make later executions slower.
		_ = fx.w.Update(context.Background(), func(tx *world.Tx) error {
			a := tx.State.StorageAccount(fx.account)
			a.Queues = map[string]*world.Queue{"messages": {Name: "messages", Messages: []*world.Message{}}}
			return nil
		})
	})
}

// FuzzPlainMessage holds the message body's fast path to encoding/xml:
// whatever plainMessage reads, xmlMessage reads the same.
func FuzzPlainMessage(f *testing.F) {
	for _, s := range []string{
		"<QueueMessage><MessageText>hi</MessageText></QueueMessage>",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<QueueMessage><MessageText>MDEyMzQ1Njc4OWFiY2RlZg==</MessageText></QueueMessage>",
		"<?xml version='1.0' encoding='utf-8'?>\n<QueueMessage><MessageText>py</MessageText></QueueMessage>",
		`<?xml version="1.0" encoding="utf-8"?><QueueMessage><MessageText>aGVsbG8=</MessageText></QueueMessage>`,
		`<?xml version='1.0' encoding='utf-8'?><QueueMessage><MessageText>a b>"c'</MessageText></QueueMessage>`,
		"<QueueMessage><MessageText></MessageText></QueueMessage>",
		"<QueueMessage><MessageText>x</MessageText></QueueMessage> ",
		"<QueueMessage><MessageText>&amp;]]></MessageText></QueueMessage>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := plainMessage(body)
		if !ok {
			return
		}
		slow, e := xmlMessage(body)
		if e != nil || slow != fast {
			t.Fatalf("plainMessage(%q) = %q; encoding/xml: %q, %v", body, fast, slow, e)
		}
	})
}

// The bodies the Go and Python SDKs send for a plain text are read without
// encoding/xml.
func TestPlainMessageReadsTheSDKsBodies(t *testing.T) {
	for _, body := range []string{
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<QueueMessage><MessageText>MDEyMzQ1Njc4OWFiY2RlZg==</MessageText></QueueMessage>",
		"<?xml version='1.0' encoding='utf-8'?>\n<QueueMessage><MessageText>aGk=</MessageText></QueueMessage>",
	} {
		text, ok := plainMessage([]byte(body))
		want, e := xmlMessage([]byte(body))
		if !ok || e != nil || text != want {
			t.Errorf("plainMessage(%q) = %q, %v; encoding/xml reads %q, %v", body, text, ok, want, e)
		}
	}
}

// Every byte, alone and between others, after each declaration the fast
// path knows: what plainMessage reads, encoding/xml reads the same (the
// short CI fuzz run need not reach each of them).
func TestPlainMessageAgreesOnEveryByte(t *testing.T) {
	for _, decl := range []string{"", `<?xml version="1.0" encoding="UTF-8"?>` + "\n", `<?xml version='1.0' encoding='utf-8'?>`} {
		read := 0
		for c := range 256 {
			for _, text := range []string{string([]byte{byte(c)}), "a" + string([]byte{byte(c)}) + "z;"} {
				body := []byte(decl + "<QueueMessage><MessageText>" + text + "</MessageText></QueueMessage>")
				fast, ok := plainMessage(body)
				if !ok {
					continue
				}
				read++
				if slow, e := xmlMessage(body); e != nil || slow != fast {
					t.Errorf("plainMessage(%q) = %q; encoding/xml: %q, %v", body, fast, slow, e)
				}
			}
		}
		if read == 0 {
			t.Errorf("declaration %q: no body took the fast path", decl)
		}
	}
}

// escapeRunes is escapeTo rune by rune, as it was before it wrote runs of
// plain bytes whole: FuzzEscape holds the two to the same output.
func escapeRunes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == utf8.RuneError && size == 1, !xmlChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzEscape: the XML text of messages and errors, byte for byte what the
// rune-by-rune escape wrote, and always a well-formed text node.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "a&b<c>d\"e'f", "line\r\nnext\ttab", "\x00\x01\x1f\x7f",
		"héllo wörld ✓ 𝄞", "\xff\xfe bad \xc3", "\ufffe\uffff\ud7ff\ue000", "MDEyMzQ1Njc4OWFiY2RlZg=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := escape(s), escapeRunes(s)
		if got != want {
			t.Fatalf("escape(%q) = %q, want %q", s, got, want)
		}
		var v string
		if err := xml.Unmarshal([]byte("<a>"+got+"</a>"), &v); err != nil {
			t.Fatalf("escape(%q) = %q: not XML text: %v", s, got, err)
		}
	})
}
