package queue

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Limits of the Queue service.
const (
	maxMessageBytes  = 64 << 10 // a message's text, as sent
	maxBodyBytes     = 1 << 20  // request bodies read at most
	maxVisibility    = 7 * 24 * 3600
	defaultTTL       = 7 * 24 * 3600
	maxMetadataBytes = 8 << 10
	maxListResults   = 5000
	maxBatch         = 32
)

func itoa(n int) string { return strconv.Itoa(n) }

// checkQueueName applies Azure's queue naming rules: 3-63 characters of
// lower-case letters, digits and single hyphens, starting and ending with a
// letter or digit.
func checkQueueName(name string) *storageError {
	if len(name) < 3 || len(name) > 63 {
		return newError(http.StatusBadRequest, "OutOfRangeInput", "One of the request inputs is out of range.")
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		alnum := ('a' <= ch && ch <= 'z') || ('0' <= ch && ch <= '9')
		hyphenOK := ch == '-' && i > 0 && i < len(name)-1 && name[i-1] != '-'
		if !alnum && !hyphenOK {
			return newError(http.StatusBadRequest, "InvalidResourceName", "The specifed resource name contains invalid characters.")
		}
	}
	return nil
}

// intParam reads an optional integer query parameter within [min, max].
func intParam(q url.Values, name string, def, min, max int64) (int64, *storageError) {
	raw, ok := q[name]
	if !ok || len(raw) == 0 {
		return def, nil
	}
	v, err := strconv.ParseInt(raw[0], 10, 64)
	if err != nil {
		return 0, errInvalidQP(name, raw[0], "")
	}
	if v < min || v > max {
		return 0, errOutOfRangeQP(name, raw[0], min, max)
	}
	return v, nil
}

// readBody reads a request body up to maxBodyBytes.
func readBody(r *http.Request) ([]byte, *storageError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, errInvalidXML()
	}
	if len(b) > maxBodyBytes {
		return nil, newError(http.StatusRequestEntityTooLarge, "RequestBodyTooLarge",
			"The request body is too large and exceeds the maximum permissible limit.",
			field{"MaxLimit", itoa(maxBodyBytes)})
	}
	return b, nil
}

// parseMessage decodes <QueueMessage><MessageText>…</MessageText></QueueMessage>.
func parseMessage(body []byte) (string, *storageError) {
	text, ok := plainMessage(body)
	if !ok {
		var e *storageError
		if text, e = xmlMessage(body); e != nil {
			return "", e
		}
	}
	if len(text) > maxMessageBytes {
		return "", newError(http.StatusBadRequest, "MessageTooLarge", "The message exceeds the maximum allowed size.")
	}
	return text, nil
}

// xmlMessage is parseMessage's XML decoding.
func xmlMessage(body []byte) (string, *storageError) {
	var m struct {
		XMLName     xml.Name
		MessageText *string `xml:"MessageText"`
	}
	if err := xml.Unmarshal(body, &m); err != nil || m.XMLName.Local != "QueueMessage" {
		return "", errInvalidXML()
	}
	if m.MessageText == nil {
		return "", newError(http.StatusBadRequest, "MissingRequiredXmlNode",
			"An XML node that is required by the request body is missing.", field{"XmlNodeName", "MessageText"})
	}
	return *m.MessageText, nil
}

// plainMessage reads the body the SDKs send (an optional XML declaration
// and line break, then <QueueMessage><MessageText>TEXT</MessageText></QueueMessage>) without
// an XML decoder when TEXT holds nothing XML would decode (printable ASCII
// but '<', '&' and ']'): then TEXT is what encoding/xml would return
// (FuzzPlainMessage holds it to that). Anything else is not ok and goes
// through encoding/xml. Measured (2 cores, go1.26, 2026-12-05):
// BenchmarkParseMessage reads the Go SDK's body in about 65 ns and 1
// allocation, encoding/xml in about 4.9 µs and 32; in CPU profiles of the
// server under queue load (before this path) xml.Unmarshal was 1-5%.
func plainMessage(body []byte) (string, bool) {
	const open, close = "<QueueMessage><MessageText>", "</MessageText></QueueMessage>"
	// The declarations the SDKs write (Go's xml.Header, Python's
	// ElementTree), each with or without the line break after it.
	for _, decl := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="utf-8"?>`,
		`<?xml version='1.0' encoding='utf-8'?>`, `<?xml version='1.0' encoding='UTF-8'?>`} {
		if bytes.HasPrefix(body, []byte(decl)) {
			body = body[len(decl):]
			if len(body) > 0 && body[0] == '\n' {
				body = body[1:]
			}
			break
		}
	}
	if !bytes.HasPrefix(body, []byte(open)) || !bytes.HasSuffix(body, []byte(close)) || len(body) < len(open)+len(close) {
		return "", false
	}
	text := body[len(open) : len(body)-len(close)]
	for _, c := range text {
		if c < 0x20 || c > 0x7e || c == '<' || c == '&' || c == ']' {
			return "", false
		}
	}
	return string(text), true
}

const metaPrefix = "x-ms-meta-"

// parseMetadata collects x-ms-meta-* headers. Names are kept lower case: HTTP
// header names are case-insensitive and Go servers canonicalize them, so case
// would not survive the proxy path anyway.
func parseMetadata(h http.Header) (map[string]string, *storageError) {
	var md map[string]string
	size := 0
	for k, v := range h {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, metaPrefix) {
			continue
		}
		name := lk[len(metaPrefix):]
		if name == "" {
			return nil, newError(http.StatusBadRequest, "EmptyMetadataKey", "The key for one of the metadata key-value pairs is empty.")
		}
		if !identifier(name) {
			return nil, newError(http.StatusBadRequest, "InvalidMetadata", "The metadata specified is invalid. It has characters that are not permitted.")
		}
		val := strings.Join(v, ",")
		size += len(name) + len(val)
		if md == nil {
			md = map[string]string{}
		}
		md[name] = val
	}
	if size > maxMetadataBytes {
		return nil, newError(http.StatusBadRequest, "MetadataTooLarge", "The size of the request metadata exceeds the maximum size permitted.")
	}
	return md, nil
}

// identifier reports whether s is a C# identifier (ASCII subset), as
// metadata names must be.
func identifier(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		letter := ('a' <= ch && ch <= 'z') || ch == '_'
		if !letter && (i == 0 || ch < '0' || ch > '9') {
			return false
		}
	}
	return s != ""
}

func sameMetadata(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sortedNames(md map[string]string) []string {
	out := make([]string, 0, len(md))
	for k := range md {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// errAbort carries a storage error out of a world update.
type errAbort struct{ e *storageError }

func (e errAbort) Error() string { return e.e.Error() }

// asStorage turns an update's error into the response error: its own when it
// aborted, InternalError when persisting failed.
func asStorage(err error) *storageError {
	var a errAbort
	if errors.As(err, &a) {
		return a.e
	}
	if errors.Is(err, world.ErrRetired) { // the sandbox was deleted or reset under the request
		return newError(http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist.")
	}
	return newError(http.StatusInternalServerError, "InternalError", msgInternal)
}
