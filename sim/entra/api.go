// Package entra simulates Microsoft Entra ID's token service at
// login.microsoftonline.com (OIDC discovery, JWKS, instance discovery, the v2
// token endpoint), the managed-identity endpoints (IMDS and App Service), and
// the token validation that resource servers share.
package entra

import (
	"time"
)

// First-party resources (v1 audiences) the token service issues tokens for.
const (
	ResourceKeyVault = "https://vault.azure.net"
	ResourceStorage  = "https://storage.azure.com"
	ResourceARM      = "https://management.azure.com/"
	ResourceGraph    = "https://graph.microsoft.com"
)

// GraphAppID is Microsoft Graph's well-known application ID; a token may ask
// for Graph by it instead of by URL.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// Claims are the parts of a validated access token resource servers use.
type Claims struct {
	Aud       string
	Iss       string
	AppID     string
	AppIDACR  string
	OID       string
	Sub       string
	TID       string
	IdTyp     string
	Ver       string
	XmsMirid  string
	UPN       string
	IssuedAt  time.Time
	NotBefore time.Time
	Expires   time.Time
	// Raw is every claim as decoded.
	Raw map[string]any
}

// Caller formats the caller as Azure's error messages do:
// "appid=<appid>;oid=<oid>;iss=<iss>".
func (c *Claims) Caller() string {
	return "appid=" + c.AppID + ";oid=" + c.OID + ";iss=" + c.Iss
}

// Validation failure kinds.
const (
	InvalidMalformed = "malformed" // not a JWT
	InvalidAlgorithm = "algorithm" // alg is not RS256
	InvalidSignature = "signature" // unknown kid or bad signature
	InvalidIssuer    = "issuer"
	InvalidAudience  = "audience"
	InvalidLifetime  = "lifetime" // expired or not yet valid
)

// ValidationError says why a token was refused, with what was expected and
// found, so each resource server can word it its own way.
type ValidationError struct {
	Kind     string
	Expected string
	Found    string
	Detail   string
}

func (e *ValidationError) Error() string {
	return "entra: token " + e.Kind + ": " + e.Detail
}
