package queue

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// stringToSign builds the Shared Key string-to-sign for the Blob, Queue and
// File services (version 2009-09-19 and later), as the SDKs compute it.
func stringToSign(r *http.Request, account string) string {
	h := r.Header
	length := h.Get("Content-Length")
	if length == "" && r.ContentLength > 0 {
		length = itoa(int(r.ContentLength))
	}
	if length == "0" {
		length = ""
	}
	date := h.Get("Date")
	if h.Get("x-ms-date") != "" {
		date = "" // x-ms-date is signed among the canonical headers instead
	}
	return strings.Join([]string{
		r.Method,
		h.Get("Content-Encoding"),
		h.Get("Content-Language"),
		length,
		h.Get("Content-MD5"),
		h.Get("Content-Type"),
		date,
		h.Get("If-Modified-Since"),
		h.Get("If-Match"),
		h.Get("If-None-Match"),
		h.Get("If-Unmodified-Since"),
		h.Get("Range"),
		canonicalHeaders(h),
		canonicalResource(r.URL, account),
	}, "\n")
}

func canonicalHeaders(h http.Header) string {
	m := map[string][]string{}
	for k, v := range h {
		name := strings.ToLower(strings.TrimSpace(k))
		if strings.HasPrefix(name, "x-ms-") {
			m[name] = append(m[name], v...)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + ":" + strings.Join(m[k], ","))
	}
	return b.String()
}

func canonicalResource(u *url.URL, account string) string {
	var b strings.Builder
	b.WriteString("/" + account)
	if p := u.EscapedPath(); p != "" {
		b.WriteString(p)
	} else {
		b.WriteString("/")
	}
	q, _ := url.ParseQuery(u.RawQuery)
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := append([]string(nil), q[n]...)
		sort.Strings(v)
		b.WriteString("\n" + strings.ToLower(n) + ":" + strings.Join(v, ","))
	}
	return b.String()
}

// verifySignature compares sig with HMAC-SHA256(key, toSign) in constant time.
func verifySignature(accountKey, toSign, sig string) bool {
	key, err := base64.StdEncoding.DecodeString(accountKey)
	if err != nil || len(key) == 0 {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(toSign))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}
