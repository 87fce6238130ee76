package graph

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Graph's error codes the sandbox answers.
const (
	codeNotFound     = "Request_ResourceNotFound"
	codeDenied       = "Authorization_RequestDenied"
	codeInvalidToken = "InvalidAuthenticationToken"
	codeBadRequest   = "Request_BadRequest"
	codeUnreadable   = "BadRequest"
)

// apiError is one Graph error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return "graph: " + e.code + ": " + e.message }

func errorf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func notFound(id string) *apiError {
	return errorf(http.StatusNotFound, codeNotFound,
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func badJSON() *apiError {
	return errorf(http.StatusBadRequest, codeUnreadable,
		"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
}

// updateError is the answer to a failed world update: the sandbox went away
// under the request (its tenant is gone), or its state could not be saved.
func updateError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, world.ErrRetired) {
		return errorf(http.StatusUnauthorized, codeInvalidToken, "Access token validation failure. Invalid tenant.")
	}
	return errorf(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
}

// ids are the request and client request IDs Graph echoes in headers and
// in innerError.
type ids struct{ request, client string }

// headers sets the headers every Graph response carries.
func headers(rw http.ResponseWriter, r *http.Request) ids {
	i := ids{request: uuid.NewString(), client: r.Header.Get("client-request-id")}
	if i.client == "" {
		i.client = i.request
	}
	h := rw.Header()
	h.Set("request-id", i.request)
	h.Set("client-request-id", i.client)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"East US","Slice":"E","Ring":"5","ScaleUnit":"001","RoleInstance":"sandbox"}}`)
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("Cache-Control", "no-cache")
	return i
}

const contentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types always marshal
		status, b = http.StatusServiceUnavailable, []byte(`{"error":{"code":"serviceNotAvailable","message":"The service is temporarily unavailable."}}`)
	}
	rw.Header().Set("Content-Type", contentType)
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}

// writeError writes Graph's error envelope.
func writeError(rw http.ResponseWriter, i ids, now time.Time, e *apiError) {
	type inner struct {
		Date            string `json:"date"`
		RequestID       string `json:"request-id"`
		ClientRequestID string `json:"client-request-id"`
	}
	type body struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError inner  `json:"innerError"`
	}
	if e.status == http.StatusUnauthorized {
		rw.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
	}
	writeJSON(rw, e.status, map[string]body{"error": {Code: e.code, Message: e.message,
		InnerError: inner{Date: now.UTC().Format("2006-01-02T15:04:05"), RequestID: i.request, ClientRequestID: i.client}}})
}
