package lessons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// These error types mirror azidentity v1.15.0 (errors.go) so the credentials
// the runner implements itself (managed identity, Azure CLI, the
// DefaultAzureCredential chain) fail with the same text as the real SDK.

// Credential type names as azidentity spells them.
const (
	credNameDefault          = "DefaultAzureCredential"
	credNameEnvironment      = "EnvironmentCredential"
	credNameWorkloadIdentity = "WorkloadIdentityCredential"
	credNameManagedIdentity  = "ManagedIdentityCredential"
	credNameAzureCLI         = "AzureCLICredential"
	credNameAzureDevCLI      = "AzureDeveloperCLICredential"
	credNameAzurePowerShell  = "AzurePowerShellCredential"
	credNameSecret           = "ClientSecretCredential"
)

var tsgAnchors = map[string]string{
	credNameAzureCLI:         "azure-cli",
	credNameAzureDevCLI:      "azd",
	credNameAzurePowerShell:  "azure-pwsh",
	credNameManagedIdentity:  "managed-id",
	credNameSecret:           "client-secret",
	credNameWorkloadIdentity: "workload",
}

// unavailableError is azidentity's credentialUnavailableError: the chain
// moves on to the next link only for this error.
type unavailableError struct{ message string }

func newUnavailable(credType, message string) error {
	return &unavailableError{credType + ": " + message}
}

func (e *unavailableError) Error() string { return e.message }

// NonRetriable tells azcore's retry policy not to retry.
func (*unavailableError) NonRetriable() {}

// authFailedError is azidentity's AuthenticationFailedError.
type authFailedError struct {
	RawResponse  *http.Response
	credType     string
	message      string
	omitResponse bool
}

func newAuthFailed(credType, message string, resp *http.Response) *authFailedError {
	return &authFailedError{credType: credType, message: message, RawResponse: resp}
}

// NonRetriable tells azcore's retry policy not to retry.
func (*authFailedError) NonRetriable() {}

// Error formats exactly as azidentity's AuthenticationFailedError.Error.
func (e *authFailedError) Error() string {
	link := ""
	if anchor, ok := tsgAnchors[e.credType]; ok {
		link = "To troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#" + anchor
	}
	if e.RawResponse == nil || e.omitResponse {
		if link != "" {
			prefix := " "
			if !strings.HasSuffix(e.message, ".") {
				prefix = ". "
			}
			link = prefix + link
		}
		return e.credType + ": " + e.message + link
	}
	msg := &bytes.Buffer{}
	fmt.Fprintf(msg, "%s authentication failed. %s\n", e.credType, e.message)
	if e.RawResponse.Request != nil {
		u := e.RawResponse.Request.URL
		fmt.Fprintf(msg, "%s %s://%s%s\n", e.RawResponse.Request.Method, u.Scheme, u.Host, u.Path)
	} else {
		fmt.Fprintln(msg, "Request information not available")
	}
	fmt.Fprintln(msg, "--------------------------------------------------------------------------------")
	fmt.Fprintf(msg, "RESPONSE %d: %s\n", e.RawResponse.StatusCode, e.RawResponse.Status)
	fmt.Fprintln(msg, "--------------------------------------------------------------------------------")
	body, err := azruntime.Payload(e.RawResponse)
	switch {
	case err != nil:
		fmt.Fprintf(msg, "Error reading response body: %v", err)
	case len(body) > 0:
		if err := json.Indent(msg, body, "", "  "); err != nil {
			fmt.Fprint(msg, string(body))
		}
	default:
		fmt.Fprint(msg, "Response contained no body")
	}
	if link != "" {
		link = "\n" + link
	}
	fmt.Fprint(msg, "\n--------------------------------------------------------------------------------"+link)
	return msg.String()
}
