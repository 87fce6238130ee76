package store

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// A trace row is an exchange's JSON, byte for byte what json.Marshal writes
// (the API serves stored rows as they are, next to exchanges it encodes
// itself). json.Marshal spends most of a row's time on reflection over the
// header maps, sorting their keys, and on the decoded token, the same for
// every request with the same bearer token; the encoder below writes the
// same bytes directly and encodes each token once. TestRowJSONIsJSONMarshal
// holds it to json.Marshal on values with every field set, so a field added
// to trace.Exchange or rbac.Decision fails that test until it is written
// here too.
//
// Measured (2 cores, go1.26, 2026-12-05): BenchmarkRowJSON encodes the 3.4 KB
// queue row in about 6 µs and 2 allocations, json.Marshal in about 20 µs and
// 62; in a CPU profile of the server under queue load (before this encoder)
// the rows' json.Marshal was 8.7% of the total.

// maxEncoded bounds the values kept encoded: past it they are all dropped
// (the map holds its keys, so an address is never reused while it is
// there).
const maxEncoded = 256

// encodedOnce keeps the JSON of shared values by pointer: the front door
// decodes each bearer token once and hands the same *trace.Token to every
// exchange presenting it, ARM, Key Vault and the queue service share each
// RBAC *rbac.Decision the same way (world.Authorize), and neither is
// changed afterwards. The map holds its keys, so an address is not reused
// while it is cached.
type encodedOnce[T any] struct {
	mu sync.Mutex
	m  map[*T][]byte
}

func (c *encodedOnce[T]) get(v *T, encode func(*T) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.m[v]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := encode(v)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxEncoded {
		c.m = make(map[*T][]byte, 16)
	}
	c.m[v] = b
	c.mu.Unlock()
	return b, nil
}

func marshalToken(t *trace.Token) ([]byte, error) { return json.Marshal(t) }

func encodeDecision(d *rbac.Decision) ([]byte, error) { return appendDecision(nil, d), nil }

// rowJSON appends ex, with Seq 0, as json.Marshal writes it.
func (db *DB) rowJSON(dst []byte, ex *trace.Exchange) ([]byte, error) {
	b := append(dst, `{"seq":0,"sandboxId":`...)
	b = appendString(b, ex.SandboxID)
	var err error
	if b, err = appendTime(append(b, `,"time":`...), ex.Time); err != nil {
		return nil, err
	}
	if b, err = appendTime(append(b, `,"simTime":`...), ex.SimTime); err != nil {
		return nil, err
	}
	b = strconv.AppendInt(append(b, `,"durationMicros":`...), ex.DurationUS, 10)
	b = appendString(append(b, `,"via":`...), ex.Via)
	if ex.Step != "" {
		b = appendString(append(b, `,"step":`...), ex.Step)
	}
	if ex.Site != "" {
		b = appendString(append(b, `,"site":`...), ex.Site)
	}
	b = appendString(append(b, `,"service":`...), string(ex.Service))
	b = appendString(append(b, `,"method":`...), ex.Method)
	b = appendString(append(b, `,"url":`...), ex.URL)
	b = appendHeader(append(b, `,"requestHeaders":`...), ex.RequestHeaders)
	if ex.RequestBody != "" {
		b = appendString(append(b, `,"requestBody":`...), ex.RequestBody)
	}
	b = strconv.AppendInt(append(b, `,"status":`...), int64(ex.Status), 10)
	b = appendHeader(append(b, `,"responseHeaders":`...), ex.ResponseHeaders)
	if ex.ResponseBody != "" {
		b = appendString(append(b, `,"responseBody":`...), ex.ResponseBody)
	}
	for _, t := range []struct {
		key string
		tok *trace.Token
	}{{`,"token":`, ex.Token}, {`,"issued":`, ex.Issued}} {
		if t.tok == nil {
			continue
		}
		// A token its maker encoded (an issued one: new every time, so
		// the cache below would never hit) is written as given.
		tj := t.tok.JSON()
		if tj == nil {
			if tj, err = db.tokens.get(t.tok, marshalToken); err != nil {
				return nil, err
			}
		}
		b = append(append(b, t.key...), tj...)
	}
	if a := ex.Authn; a != nil {
		b = strconv.AppendBool(append(b, `,"authn":{"ok":`...), a.OK)
		b = appendOmitEmpty(b, `,"subject":`, a.Subject)
		b = appendOmitEmpty(b, `,"code":`, a.Code)
		b = appendOmitEmpty(b, `,"reason":`, a.Reason)
		b = append(b, '}')
	}
	if d := ex.Authz; d != nil {
		dj, _ := db.decisions.get(d, encodeDecision)
		b = append(append(b, `,"authz":`...), dj...)
	}
	return append(b, '}'), nil
}

func appendDecision(b []byte, d *rbac.Decision) []byte {
	b = appendString(append(b, `{"model":`...), d.Model)
	b = strconv.AppendBool(append(b, `,"allowed":`...), d.Allowed)
	p := &d.Principal
	b = appendString(append(b, `,"principal":{"objectId":`...), p.ObjectID)
	b = appendString(append(b, `,"type":`...), p.Type)
	b = appendString(append(b, `,"displayName":`...), p.DisplayName)
	b = appendOmitEmpty(b, `,"appId":`, p.AppID)
	if len(p.Groups) > 0 {
		b = appendStrings(append(b, `,"groups":`...), p.Groups)
	}
	if p.Deleted {
		b = append(b, `,"deleted":true`...)
	}
	b = appendString(append(b, `},"action":`...), d.Action)
	b = strconv.AppendBool(append(b, `,"dataAction":`...), d.DataAction)
	b = appendString(append(b, `,"scope":`...), d.Scope)
	if d.Matched != nil {
		b = appendConsidered(append(b, `,"matched":`...), d.Matched)
	}
	b = append(b, `,"considered":`...)
	if d.Considered == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range d.Considered {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendConsidered(b, &d.Considered[i])
		}
		b = append(b, ']')
	}
	if s := d.Suggestion; s != nil {
		b = appendString(append(b, `,"suggestion":{"roleId":`...), s.RoleID)
		b = appendString(append(b, `,"roleName":`...), s.RoleName)
		b = appendString(append(b, `,"scope":`...), s.Scope)
		b = appendString(append(b, `,"principalId":`...), s.PrincipalID)
		b = appendString(append(b, `,"cli":`...), s.CLI)
		b = append(b, '}')
	}
	b = appendString(append(b, `,"summary":`...), d.Summary)
	return append(b, '}')
}

func appendConsidered(b []byte, c *rbac.Considered) []byte {
	b = appendString(append(b, `{"assignmentId":`...), c.AssignmentID)
	b = appendString(append(b, `,"roleId":`...), c.RoleID)
	b = appendString(append(b, `,"roleName":`...), c.RoleName)
	b = appendString(append(b, `,"scope":`...), c.Scope)
	b = appendString(append(b, `,"principalId":`...), c.PrincipalID)
	b = strconv.AppendBool(append(b, `,"matched":`...), c.Matched)
	b = appendString(append(b, `,"reason":`...), c.Reason)
	b = appendString(append(b, `,"explanation":`...), c.Explanation)
	return append(b, '}')
}

func appendOmitEmpty(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

// appendTime is time.Time's own MarshalJSON (RFC 3339 with nanoseconds; an
// error for years it cannot write, as json.Marshal reports).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	tj, err := t.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("store: exchange JSON: %w", err)
	}
	return append(b, tj...), nil
}

// appendHeader writes a header as json.Marshal writes a map: null when nil,
// keys in sorted order.
func appendHeader(b []byte, h http.Header) []byte {
	if h == nil {
		return append(b, "null"...)
	}
	var buf [32]string
	keys := buf[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStrings(append(appendString(b, k), ':'), h[k])
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does (HTML-safe: <, > and &
// escaped; invalid UTF-8 replaced by U+FFFD; U+2028 and U+2029 escaped).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
