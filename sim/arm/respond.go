package arm

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// armError is ARM's error envelope: {"error":{"code":…,"message":…}}.
type armError struct {
	status  int
	code    string
	message string
	// appService marks an error App Service itself words: its envelope is
	// {"Code":…,"Message":…,…} at the top level, not ARM's.
	appService bool
	extended   string
	template   string
	params     []string
}

func (e *armError) Error() string { return "arm: " + e.code + ": " + e.message }

func errorf(status int, code, message string) *armError {
	return &armError{status: status, code: code, message: message}
}

// getResource answers a GET of one resource: authorize the read action at
// scope, then build the ARM view under the world's read lock.
func getResource[T any](req *request, action, scope string, view func(st *world.State) (T, *armError)) *armError {
	if e := req.c.authorize(req.r, action, scope, req.rt.path); e != nil {
		return e
	}
	var out T
	var aerr *armError
	req.c.w.View(func(st *world.State) { out, aerr = view(st) })
	if aerr != nil {
		return aerr
	}
	writeJSON(req.rw, http.StatusOK, out)
	return nil
}

// update runs change in one world transaction. change refuses the request
// by returning an *armError, which is the answer; any other error is the
// world's (updateError).
func update(req *request, change func(tx *world.Tx) error) *armError {
	err := req.c.w.Update(req.r.Context(), change)
	if err == nil {
		return nil
	}
	if aerr, ok := errors.AsType[*armError](err); ok {
		return aerr
	}
	return updateError(err)
}

// updateError is the response to a failed world update: the sandbox was
// deleted or reset under the request (404, as for a subscription that is
// gone), or its state could not be saved.
func updateError(err error) *armError {
	if errors.Is(err, world.ErrRetired) {
		return errorf(http.StatusNotFound, "SubscriptionNotFound", "The subscription could not be found.")
	}
	return errorf(http.StatusInternalServerError, "InternalServerError", "Encountered internal server error.")
}

// headers sets the headers every ARM response carries.
func headers(rw http.ResponseWriter, r *http.Request) {
	h := rw.Header()
	id := uuid.NewString()
	corr := r.Header.Get("x-ms-correlation-request-id")
	if corr == "" {
		corr = id
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "-1")
	h.Set("x-ms-request-id", id)
	h.Set("x-ms-correlation-request-id", corr)
	h.Set("x-ms-routing-request-id", "EASTUS:"+id)
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	h.Set("X-Content-Type-Options", "nosniff")
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types always marshal; keep the wire Azure-shaped anyway
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalServerError","message":"Encountered internal server error."}}`)
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}

func writeError(rw http.ResponseWriter, e *armError) {
	if e.appService {
		writeAppServiceError(rw, e)
		return
	}
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(rw, e.status, map[string]body{"error": {Code: e.code, Message: e.message}})
}

// armTime formats a timestamp as ARM does (.NET round-trip, seven digits).
func armTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

func errNotFoundPath(path string) *armError {
	return errorf(http.StatusNotFound, "InvalidResourceType",
		"The resource type could not be found for the path '"+path+"'.")
}

func errMethod(method string) *armError {
	return errorf(http.StatusMethodNotAllowed, "MethodNotAllowed",
		"The requested resource does not support http method '"+method+"'.")
}

func errBadJSON(err error) *armError {
	return errorf(http.StatusBadRequest, "InvalidRequestContent",
		"The request content was invalid and could not be deserialized: '"+err.Error()+"'.")
}

func errRGNotFound(rg string) *armError {
	return errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+rg+"' could not be found.")
}

// needRG is ARM's 404 when the sandbox has no resource group rg.
func needRG(st *world.State, rg string) *armError {
	if _, ok := st.ResourceGroups[strings.ToLower(rg)]; !ok {
		return errRGNotFound(rg)
	}
	return nil
}

func errResourceNotFound(typ, name, rg string) *armError {
	return errorf(http.StatusNotFound, "ResourceNotFound",
		"The Resource '"+typ+"/"+name+"' under resource group '"+rg+"' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
}

// appServiceErrorf is an error in App Service's own envelope. template and
// params fill the ErrorEntity detail App Service adds.
func appServiceErrorf(status int, code, extended, template string, params ...string) *armError {
	msg := template
	for i, p := range params {
		msg = strings.ReplaceAll(msg, "{"+strconv.Itoa(i)+"}", p)
	}
	e := errorf(status, code, msg)
	e.appService = true
	e.extended, e.template, e.params = extended, template, params
	return e
}

func writeAppServiceError(rw http.ResponseWriter, e *armError) {
	params := e.params
	if params == nil {
		params = []string{}
	}
	writeJSON(rw, e.status, map[string]any{
		"Code": e.code, "Message": e.message, "Target": nil,
		"Details": []any{
			map[string]any{"Message": e.message},
			map[string]any{"Code": e.code},
			map[string]any{"ErrorEntity": map[string]any{
				"ExtendedCode": e.extended, "MessageTemplate": e.template, "Parameters": params,
				"Code": e.code, "Message": e.message,
			}},
		},
		"Innererror": nil,
	})
}
