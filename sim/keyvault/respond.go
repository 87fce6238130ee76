package keyvault

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"
)

// serviceVersion is what x-ms-keyvault-service-version reports.
const serviceVersion = "1.9.2504.1"

// kvError is Key Vault's error body: {"error":{"code","message","innererror"}}.
type kvError struct {
	Error kvErrorBody `json:"error"`
}

type kvErrorBody struct {
	Code       string      `json:"code"`
	Message    string      `json:"message"`
	InnerError *innerError `json:"innererror,omitempty"`
}

type innerError struct {
	Code string `json:"code"`
}

// apiError is an error response waiting to be written.
type apiError struct {
	status  int
	code    string
	message string
	inner   string
}

func (e *apiError) Error() string { return "keyvault: " + e.code + ": " + e.message }

func badParameter(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "BadParameter", message: msg}
}

// setHeaders writes the headers every Key Vault response carries.
func setHeaders(rw http.ResponseWriter, r *http.Request, region string) {
	h := rw.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "-1")
	h.Set("x-ms-request-id", uuid.NewString())
	h.Set("x-ms-keyvault-service-version", serviceVersion)
	h.Set("x-ms-keyvault-network-info", "conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;")
	if region != "" {
		h.Set("x-ms-keyvault-region", region)
	}
	if id := r.Header.Get("x-ms-client-request-id"); id != "" && len(id) <= 256 {
		h.Set("x-ms-client-request-id", id)
	}
	h.Set("Strict-Transport-Security", "max-age=31536000;includeSubDomains")
	h.Set("X-Content-Type-Options", "nosniff")
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only plain data is marshalled; keep the 5xx-free promise anyway
		body = []byte(`{"error":{"code":"BadParameter","message":"The response could not be encoded."}}`)
		status = http.StatusBadRequest
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = rw.Write(body)
}

func writeError(rw http.ResponseWriter, e *apiError) {
	body := kvError{Error: kvErrorBody{Code: e.code, Message: e.message}}
	if e.inner != "" {
		body.Error.InnerError = &innerError{Code: e.inner}
	}
	writeJSON(rw, e.status, body)
}
