package queue

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// storageError is an Azure Storage error response: status, code, message and
// the extra detail elements some codes carry (in order).
type storageError struct {
	status int
	code   string
	msg    string
	detail []field
}

type field struct{ name, value string }

func (e *storageError) Error() string { return "queue: " + e.code + ": " + e.msg }

func newError(status int, code, msg string, detail ...field) *storageError {
	return &storageError{status: status, code: code, msg: msg, detail: detail}
}

// Error messages as Azure Storage words them.
const (
	msgServerAuth     = "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."
	msgAuthFailed     = "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature."
	msgPermission     = "This request is not authorized to perform this operation using this permission."
	msgQueueNotFound  = "The specified queue does not exist."
	msgQueueExists    = "The specified queue already exists."
	msgMessageMissing = "The specified message does not exist."
	msgPopReceipt     = "The specified pop receipt did not match the pop receipt for a dequeued message."
	msgInvalidQP      = "Value for one of the query parameters specified in the request URI is invalid."
	msgOutOfRangeQP   = "One of the query parameters specified in the request URI is outside the permissible range."
	msgMissingQP      = "A query parameter that's mandatory for this request is not specified."
	msgInvalidXML     = "XML specified is not syntactically valid."
	msgMissingHeader  = "An HTTP header that's mandatory for this request is not specified."
	msgInvalidHeader  = "The value for one of the HTTP headers is not in the correct format."
	msgInvalidURI     = "The requested URI does not represent any resource on the server."
	msgBadVerb        = "The resource doesn't support specified Http Verb."
	msgInternal       = "Server encountered an internal error. Please try again after some time."
)

func errQueueNotFound() *storageError {
	return newError(http.StatusNotFound, "QueueNotFound", msgQueueNotFound)
}

func errMessageNotFound() *storageError {
	return newError(http.StatusNotFound, "MessageNotFound", msgMessageMissing)
}

func errInvalidQP(name, value, reason string) *storageError {
	d := []field{{"QueryParameterName", name}, {"QueryParameterValue", value}}
	if reason != "" {
		d = append(d, field{"Reason", reason})
	}
	return newError(http.StatusBadRequest, "InvalidQueryParameterValue", msgInvalidQP, d...)
}

func errOutOfRangeQP(name, value string, min, max int64) *storageError {
	return newError(http.StatusBadRequest, "OutOfRangeQueryParameterValue", msgOutOfRangeQP,
		field{"QueryParameterName", name}, field{"QueryParameterValue", value},
		field{"MinimumAllowed", strconv.FormatInt(min, 10)}, field{"MaximumAllowed", strconv.FormatInt(max, 10)})
}

func errMissingQP(name string) *storageError {
	return newError(http.StatusBadRequest, "MissingRequiredQueryParameter", msgMissingQP,
		field{"QueryParameterName", name})
}

func errInvalidXML() *storageError {
	return newError(http.StatusBadRequest, "InvalidXmlDocument", msgInvalidXML)
}

// errorBody renders the XML body: the message carries the request ID and
// time on their own lines, exactly as Azure does.
func errorBody(e *storageError, requestID, at string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><Error><Code>`)
	b.WriteString(e.code)
	b.WriteString("</Code><Message>")
	escapeTo(&b, e.msg)
	b.WriteString("\nRequestId:")
	b.WriteString(requestID)
	b.WriteString("\nTime:")
	b.WriteString(at)
	b.WriteString("</Message>")
	for _, d := range e.detail {
		b.WriteString("<" + d.name + ">")
		escapeTo(&b, d.value)
		b.WriteString("</" + d.name + ">")
	}
	b.WriteString("</Error>")
	return []byte(b.String())
}

// escapeTo writes s as XML character data. Unlike xml.EscapeText it keeps
// newlines literal (Azure's messages contain them) and replaces characters
// XML cannot carry, so echoed client input never breaks the document. Runs
// of bytes that stand for themselves (printable ASCII, tab, newline) are
// written whole: message text and IDs are mostly that.
func escapeTo(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && (c >= 0x20 || c == '\t' || c == '\n') &&
			c != '&' && c != '<' && c != '>' && c != '"' {
			i++
			continue
		}
		b.WriteString(s[start:i])
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		start = i
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\r': // a literal CR would be normalized away by parsers
			b.WriteString("&#xD;")
		case r == utf8.RuneError && size == 1, !xmlChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(s[start:])
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func escape(s string) string {
	var b strings.Builder
	escapeTo(&b, s)
	return b.String()
}
