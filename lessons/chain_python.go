package lessons

import (
	"strings"

	"github.com/azure-auth-sandbox/sandbox/lessons/pyrun"
)

// pyLinkWhys turns azure-identity's (Python, 1.13) own messages into the
// chain panel's plain words, as the Go chain's links say theirs. The SDK's
// message stays on the panel beside them. A message no row matches gets no
// plain words rather than a guess.
var pyLinkWhys = []struct{ link, says, why string }{
	{"EnvironmentCredential", "Environment variables are not fully configured",
		"the environment does not hold a service principal's AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"},
	{"EnvironmentCredential", "Environment is configured for ClientSecretCredential",
		"the environment holds a service principal's AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"},
	{"EnvironmentCredential", "Environment is configured for CertificateCredential",
		"the environment holds a service principal's tenant, client ID and certificate path"},
	{"EnvironmentCredential", "Environment is configured for UsernamePasswordCredential",
		"the environment holds a user name and password (AZURE_USERNAME, AZURE_PASSWORD)"},
	{"ManagedIdentityCredential", "no response from the IMDS endpoint",
		"no managed identity here: nothing answers at the instance metadata address (169.254.169.254), as on a laptop"},
	{"ManagedIdentityCredential", "has not been assigned to this resource",
		"this resource has no managed identity with the client ID the code asked for"},
	{"ManagedIdentityCredential", "No identity has been assigned to this resource",
		"the metadata endpoint answers, but no managed identity is turned on for this resource"},
	{"ManagedIdentityCredential", "will use App Service managed identity",
		"IDENTITY_ENDPOINT and IDENTITY_HEADER are set: App Service gives this site a managed identity"},
	{"ManagedIdentityCredential", "will use IMDS",
		"no App Service variables, so it asks the instance metadata address (169.254.169.254), as on a virtual machine"},
	{"SharedTokenCacheCredential", "No accounts were found in the cache",
		"no Microsoft developer tool (such as Visual Studio) left a signed-in account in the shared token cache here"},
	{"SharedTokenCacheCredential", "Shared token cache unavailable",
		"this machine has no shared token cache of Microsoft developer tools"},
	{"SharedTokenCacheCredential", "Multiple accounts",
		"the shared token cache holds several accounts and nothing says which one to use"},
	{"AzureCliCredential", "Azure CLI not found on path", "the Azure CLI (az) is not installed here"},
	{"AzureCliCredential", "az login", "the Azure CLI is installed, but nobody has signed in with az login"},
	{"AzureCliCredential", "Failed to invoke",
		"az did not answer within the 10 seconds azure-identity gives it, or failed; the chain stops here"},
	{"AzurePowerShellCredential", "PowerShell is not installed", "Azure PowerShell is not installed here"},
	{"AzurePowerShellCredential", "Az.Account module", "PowerShell is here, but without the Az.Accounts module"},
	{"VisualStudioCodeCredential", "", "Visual Studio Code's Azure Account extension has no sign-in here"},
	{"AzureDeveloperCliCredential", "not found on path", "the Azure Developer CLI (azd) is not installed here"},
}

// pythonLinkWhy says in plain words why a link of Python's chain did what
// it did.
func pythonLinkWhy(l pyrun.Link, answered string, reused bool) string {
	switch {
	case reused && l.Outcome == LinkAnswered:
		return "it answered an earlier call; the chain keeps using it"
	case reused:
		return "an earlier call found " + answered
	case l.Outcome == LinkNotTried:
		return "an earlier link answered or stopped the chain"
	case l.Outcome == LinkAnswered && l.Name == "AzureCliCredential":
		return "the Azure CLI is signed in (az login): the token is the signed-in user's"
	case l.Outcome == LinkFailed && !strings.Contains(l.Message, "Failed to invoke"):
		return "it was configured but authentication failed, so the chain stops here"
	}
	said := l.Message
	if l.Outcome == LinkAnswered || said == "" {
		said = l.Config
	}
	for _, w := range pyLinkWhys {
		if w.link == l.Name && strings.Contains(said, w.says) {
			return w.why
		}
	}
	return ""
}
