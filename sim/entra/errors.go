package entra

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// stsError is an Entra error: an AADSTS code, the OAuth error, the HTTP
// status and the text after "AADSTSnnnn: ".
type stsError struct {
	Status int
	Err    string // OAuth "error"
	Code   int    // AADSTS number
	Text   string
	// Reason explains the failure in plain words for the trace.
	Reason string
}

// Entra's error code texts (reference §2), as constructors.
func errMissingParam(name string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 900144,
		"The request body must contain the following parameter: '" + name + "'.",
		"The token request has no '" + name + "' parameter."}
}

func errTenantNotFound(tenant string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 90002,
		"Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
		"No sandbox tenant has the ID or domain '" + tenant + "'."}
}

func errAppNotFound(appID, tenantName string) *stsError {
	return &stsError{http.StatusBadRequest, "unauthorized_client", 700016,
		"Application with identifier '" + appID + "' was not found in the directory '" + tenantName + "'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		"No app registration with client ID '" + appID + "' exists in this tenant (deleted, never created, or registered in another tenant)."}
}

func errBadSecret(appID string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 7000215,
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + appID + "'.",
		"The client secret does not match any secret of the app."}
}

func errExpiredSecret(appID string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 7000222,
		"The provided client secret keys for app '" + appID + "' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
		"The client secret matches, but it expired."}
}

func errNoCredential() *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 7000216,
		"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
		"The request carries no client secret or assertion."}
}

func errAssertion() *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 700027,
		"Client assertion failed signature validation.",
		"The app has no certificate or federated credential registered in the sandbox, so no client assertion can verify."}
}

func errResourceNotFound(resource, tenantName string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_resource", 500011,
		"The resource principal named " + resource + " was not found in the tenant named " + tenantName + ". This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
		"The scope names a resource this tenant does not know (the sandbox knows Key Vault, Storage and ARM)."}
}

func errScopeNoDefault(scope string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_scope", 1002012,
		"The provided value for scope " + scope + " is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
		"An app signing in as itself must ask for '<resource>/.default'."}
}

func errInvalidScope(scope string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_scope", 70011,
		"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope " + scope + " is not valid.",
		"The scope parameter does not name exactly one resource."}
}

func errUnsupportedGrant(grant string) *stsError {
	return &stsError{http.StatusBadRequest, "unsupported_grant_type", 70003,
		"The app requested an unsupported grant type '" + grant + "'.",
		"The sandbox's token service supports client_credentials and password grants."}
}

func errNoTenantInfo() *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 50059,
		"No tenant-identifying information found in either the request or implied by any provided credentials.",
		"Apps must sign in at their tenant's endpoint, not /common or /organizations."}
}

func errBadUserCredentials() *stsError {
	return &stsError{http.StatusBadRequest, "invalid_grant", 50126,
		"Error validating credentials due to invalid username or password.",
		"The password does not match the user's."}
}

func errUserNotFound(tenantName string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_grant", 50034,
		"The user account {EmailHidden} does not exist in the " + tenantName + " directory. To sign into this application, the account must be added to the directory.",
		"No user with that name exists in this tenant."}
}

func errMalformedBody() *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 900144,
		"The request body must contain the following parameter: 'grant_type'.",
		"The request body is not a form."}
}

// stsErrorBody is the JSON shape of every Entra error response.
type stsErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

// stsTimestamp is Entra's timestamp layout ("2023-06-02 21:00:26Z").
const stsTimestamp = "2006-01-02 15:04:05Z"

// writeSTSError writes e in Entra's shape. The correlation ID echoes the
// client's client-request-id, as Entra does.
func writeSTSError(rw http.ResponseWriter, r *http.Request, now time.Time, e *stsError) {
	traceID := world.NewGUID()
	corr := correlationID(r)
	ts := now.UTC().Format(stsTimestamp)
	code := strconv.Itoa(e.Code)
	body := stsErrorBody{
		Error: e.Err,
		ErrorDescription: "AADSTS" + code + ": " + e.Text + "\r\nTrace ID: " + traceID +
			"\r\nCorrelation ID: " + corr + "\r\nTimestamp: " + ts,
		ErrorCodes:    []int{e.Code},
		Timestamp:     ts,
		TraceID:       traceID,
		CorrelationID: corr,
		ErrorURI:      "https://login.microsoftonline.com/error?code=" + code,
	}
	stsHeaders(rw, r, traceID)
	writeJSON(rw, e.Status, body)
}

func correlationID(r *http.Request) string {
	if c := r.Header.Get("Client-Request-Id"); c != "" && len(c) <= 64 {
		return c
	}
	return world.NewGUID()
}

// stsHeaders sets the headers Entra sends on token and error responses. The
// names are written canonical, as Header.Set stores and net/http sends
// them (x-ms-request-id goes out as X-Ms-Request-Id either way): Set then
// has nothing to rewrite, where a lower-case name cost an allocation per
// header and response.
func stsHeaders(rw http.ResponseWriter, r *http.Request, traceID string) {
	h := rw.Header()
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "-1")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Ms-Request-Id", traceID)
	h.Set("X-Ms-Ests-Server", "2.1.sandbox")
	if c := r.Header.Get("Client-Request-Id"); c != "" && len(c) <= 64 {
		h.Set("Client-Request-Id", c)
	}
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Header().Set("Content-Length", strconv.Itoa(len(b)))
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}
