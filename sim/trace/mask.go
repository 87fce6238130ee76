package trace

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// MaxBody is how much of a request or response body the trace keeps.
const MaxBody = 64 << 10

// Masked is appended to what is left of a masked value.
const Masked = "…(masked)"

// TruncatedMark ends a body cut at MaxBody.
const TruncatedMark = "…(truncated)"

// hint keeps the first n characters of a secret (enough to tell two apart,
// too little to use) followed by Masked.
func hint(v string, n int) string {
	if v == "" || strings.HasSuffix(v, Masked) { // already masked
		return v
	}
	return prefix(v, n) + Masked
}

// prefix returns the first n characters of v.
func prefix(v string, n int) string {
	cut := 0
	for i := range v {
		if i >= n {
			break
		}
		_, size := utf8.DecodeRuneInString(v[i:])
		cut = i + size
	}
	return v[:cut]
}

// Headers whose whole value is a secret.
var secretHeaders = []string{
	"X-Identity-Header", "X-Functions-Key", "Secret", // App Service MI (legacy "secret" too)
	"X-Ms-Encryption-Key", "Cookie", "Set-Cookie",
}

// Headers carrying "<scheme> <credentials>".
var credentialHeaders = []string{"Authorization", "Proxy-Authorization"}

// maskHeader returns a copy of h with secret values masked; with owned (h
// is the caller's own copy, shared with no one) it masks h in place.
func maskHeader(h http.Header, owned bool) http.Header {
	if h == nil {
		return nil
	}
	if !owned {
		h = h.Clone()
	}
	for _, k := range credentialHeaders {
		for i, v := range h[k] {
			h[k][i] = maskCredential(v)
		}
	}
	for _, k := range secretHeaders {
		for i, v := range h[k] {
			h[k][i] = hint(v, 3)
		}
	}
	return h
}

// maskCredential masks an Authorization value, keeping the scheme and a few
// characters: "Bearer eyJ0eX…(masked)". For SharedKey the account name (before
// the colon) is kept and the signature masked.
func maskCredential(v string) string {
	v = strings.TrimSpace(v)
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		return hint(v, 3)
	}
	cred = strings.TrimSpace(cred)
	if strings.EqualFold(scheme, "SharedKey") || strings.EqualFold(scheme, "SharedKeyLite") {
		if acct, sig, ok := strings.Cut(cred, ":"); ok {
			return scheme + " " + acct + ":" + hint(sig, 3)
		}
	}
	return scheme + " " + hint(cred, 6)
}

// Query parameters whose values are secrets: a function key, a SAS signature.
var secretQuery = map[string]bool{"code": true, "sig": true, "client_secret": true}

// Form fields whose values are secrets, replaced entirely.
var secretForm = map[string]bool{
	"client_secret": true, "client_assertion": true, "password": true,
	"refresh_token": true, "assertion": true,
}

// maskPairs masks the values of the selected keys in an "a=b&c=d" string,
// keeping order and encoding of everything else. mask returns the encoded
// replacement.
func maskPairs(raw string, keys map[string]bool, mask func(string) string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if !keys[strings.ToLower(name)] {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		parts[i] = k + "=" + mask(val)
		changed = true
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

// MaskURL masks secret query parameters (code=, sig=) of a URL string.
func MaskURL(u string) string {
	base, q, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	frag := ""
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q, frag = q[:i], q[i:]
	}
	return base + "?" + maskPairs(q, secretQuery, func(v string) string {
		if strings.HasSuffix(v, Masked) { // already masked
			return url.QueryEscape(strings.TrimSuffix(v, Masked)) + Masked
		}
		return url.QueryEscape(prefix(v, 3)) + Masked
	}) + frag
}

// JSON string fields masked in every body, and "value" in Key Vault's.
var (
	jsonSecretKeys = []string{"access_token", "refresh_token", "id_token", "clientSecret", "client_secret",
		"accountKey", "primaryKey", "secondaryKey", "password", "secretText"}
	jsonKVKeys    = []string{"value"}
	connStringKey = regexp.MustCompile(`(?i)(AccountKey=|SharedAccessSignature=|sig=)([^;&"\s<]+)`)
	// connStringKeys prefilter connStringKey (lower case).
	connStringKeys = []string{"accountkey=", "sharedaccesssignature=", "sig="}
)

// maskJSON replaces the value of every `"key": "value"` member with one of
// keys by its hint. It is a scan, not a regular expression, because it runs
// on every token response: it matches exactly what
// `"(key)"(\s*:\s*)"((?:[^"\\]|\\.)*)"` would, leftmost first
// (FuzzMaskJSON checks that against the expression).
func maskJSON(body string, keys []string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(body); {
		j := strings.IndexByte(body[i:], '"')
		if j < 0 {
			break
		}
		start := i + j
		i = start + 1
		vStart, vEnd, ok := jsonMember(body, start, keys)
		if !ok {
			continue
		}
		h := hint(body[vStart:vEnd], 3)
		if b.Cap() == 0 {
			// Room for the rest with this value masked: enough unless a
			// later, shorter value grows into its hint (the builder then
			// grows). A masked token answer is a tenth of the answer.
			b.Grow(len(body) - (vEnd - vStart) + len(h))
		}
		b.WriteString(body[last:vStart])
		b.WriteString(h)
		last, i = vEnd, vEnd+1
	}
	if last == 0 {
		return body
	}
	b.WriteString(body[last:])
	return b.String()
}

// jsonMember matches `"key"\s*:\s*"value"` with one of keys at body[start]
// (a quote) and returns where the value's characters begin and end.
func jsonMember(body string, start int, keys []string) (vStart, vEnd int, ok bool) {
	rest := body[start+1:]
	p := -1
	for _, k := range keys {
		if len(rest) > len(k) && rest[len(k)] == '"' && rest[:len(k)] == k {
			p = start + 1 + len(k) + 1
			break
		}
	}
	if p < 0 {
		return 0, 0, false
	}
	p = skipSpace(body, p)
	if p >= len(body) || body[p] != ':' {
		return 0, 0, false
	}
	p = skipSpace(body, p+1)
	if p >= len(body) || body[p] != '"' {
		return 0, 0, false
	}
	vStart = p + 1
	// The value ends at the first quote no backslash escapes; the search
	// jumps from backslash to backslash (a token is a kilobyte without one).
	for q := vStart; ; {
		end := strings.IndexByte(body[q:], '"')
		if end < 0 {
			return 0, 0, false
		}
		bs := strings.IndexByte(body[q:q+end], '\\')
		if bs < 0 {
			return vStart, q + end, true
		}
		// `\\.`: any character but a newline follows.
		q += bs
		if q+1 >= len(body) || body[q+1] == '\n' {
			return 0, 0, false
		}
		q += 2
	}
}

// skipSpace skips RE2's \s: tab, newline, form feed, carriage return, space.
func skipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case '\t', '\n', '\f', '\r', ' ':
			i++
		default:
			return i
		}
	}
	return i
}

// hasJSONKey reports whether body may hold one of keys as a JSON member name;
// the regular expressions run only then (they cost far more than this scan).
func hasJSONKey(body string, keys []string) bool {
	for _, k := range keys {
		if strings.Contains(body, `"`+k+`"`) {
			return true
		}
	}
	return false
}

// maskBody masks secrets in a body given its content type. keyVault says the
// body belongs to Key Vault, whose "value" fields are secret values.
func maskBody(body, contentType string, keyVault bool) string {
	if body == "" {
		return body
	}
	if strings.Contains(strings.ToLower(contentType), "application/x-www-form-urlencoded") {
		body = maskPairs(body, secretForm, func(string) string { return "***" })
	}
	if hasJSONKey(body, jsonSecretKeys) {
		body = maskJSON(body, jsonSecretKeys)
	}
	if keyVault && strings.Contains(body, `"value"`) {
		body = maskJSON(body, jsonKVKeys)
	}
	if hasConnStringKey(body) {
		return connStringKey.ReplaceAllStringFunc(body, func(m string) string {
			sub := connStringKey.FindStringSubmatch(m)
			return sub[1] + hint(sub[2], 3)
		})
	}
	return body
}

// hasConnStringKey reports whether body may hold a connection string's
// secret: strings.ToLower(body) contains one of connStringKeys. An ASCII
// body (every token answer and form) is searched in place, from each "=",
// instead of lower-casing a copy of it; other bodies take the copy, whose
// Unicode folding (the Kelvin sign lowers to k) the regular expression's
// (?i) shares.
func hasConnStringKey(body string) bool {
	for i := 0; i < len(body); i++ {
		if body[i] >= utf8.RuneSelf {
			lower := strings.ToLower(body)
			for _, k := range connStringKeys {
				if strings.Contains(lower, k) {
					return true
				}
			}
			return false
		}
	}
	for i := strings.IndexByte(body, '='); i >= 0; {
		for _, k := range connStringKeys {
			name := k[:len(k)-1] // without its "="
			if i >= len(name) && asciiEqualFold(body[i-len(name):i], name) {
				return true
			}
		}
		next := strings.IndexByte(body[i+1:], '=')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// asciiEqualFold compares an ASCII s with a lower-case ASCII lower, ignoring
// case.
func asciiEqualFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// truncate cuts s to MaxBody bytes on a rune boundary.
func truncate(s string) string {
	if len(s) <= MaxBody || (len(s) <= MaxBody+len(TruncatedMark) && strings.HasSuffix(s, TruncatedMark)) {
		return s
	}
	cut := MaxBody
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncatedMark
}

// Mask removes secrets from ex in place so the trace never holds them:
// credentials in headers, secret query parameters, client secrets and
// assertions in forms, tokens and keys in JSON, and Key Vault secret values.
// Bodies are cut at MaxBody after masking. The decoded token claims (Token,
// Issued) are kept: they are what the lessons show.
func Mask(ex *Exchange) { mask(ex, false) }

// mask is Mask; with ownHeaders the exchange's header maps are the caller's
// own copies, masked in place instead of copied again.
func mask(ex *Exchange, ownHeaders bool) {
	kv := ex.Service == service.KeyVault
	ex.URL = MaskURL(ex.URL)
	ex.RequestBody = truncate(maskBody(ex.RequestBody, ex.RequestHeaders.Get("Content-Type"), kv))
	ex.ResponseBody = truncate(maskBody(ex.ResponseBody, ex.ResponseHeaders.Get("Content-Type"), kv))
	ex.RequestHeaders = maskHeader(ex.RequestHeaders, ownHeaders)
	ex.ResponseHeaders = maskHeader(ex.ResponseHeaders, ownHeaders)
}
