package keyvault

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// tokenValidator is the part of *entra.Validator Key Vault uses.
type tokenValidator interface {
	Validate(raw string, w *world.World, audiences ...string) (*entra.Claims, *entra.ValidationError)
}

// challengeAuthority is the authority Key Vault names in its challenge. Real
// vaults say https://login.windows.net/{tenant}; the team contract (and the
// SDK's own tests) use login.microsoftonline.com. Only the tenant segment is
// read by clients.
const challengeAuthority = "https://login.microsoftonline.com/"

// challenge is the WWW-Authenticate value of every 401.
func challenge(tenantID string) string {
	return `Bearer authorization="` + challengeAuthority + tenantID + `", resource="` + entra.ResourceKeyVault + `"`
}

// authenticate validates the bearer token. On failure it returns the 401 to
// send (with the challenge); the verdict goes into notes either way.
func (s *Service) authenticate(r *http.Request, w *world.World, notes *trace.Notes) (*entra.Claims, *apiError) {
	raw, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		notes.Authn = &trace.Authn{OK: false, Code: "AKV10000",
			Reason: "The request carried no bearer token. Key Vault answers 401 with a challenge naming the tenant and resource; the SDK then gets a token and retries."}
		return nil, unauthorized("AKV10000: Request is missing a Bearer or PoP token.")
	}
	notes.Token = trace.DecodeJWT(raw)
	claims, verr := s.validator.Validate(raw, w, entra.ResourceKeyVault, entra.ResourceKeyVault+"/")
	if verr == nil {
		notes.Authn = &trace.Authn{OK: true, Subject: claims.Caller(),
			Reason: "The token is signed by the sandbox's Entra ID, issued by the vault's tenant, meant for https://vault.azure.net and not expired."}
		return claims, nil
	}
	code, msg, reason := describe(verr, w.TenantID(), raw)
	notes.Authn = &trace.Authn{OK: false, Subject: subjectOf(notes.Token), Code: code, Reason: reason}
	return nil, unauthorized(msg)
}

func unauthorized(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, code: "Unauthorized", message: msg}
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// describe words a validation failure as Key Vault does. AKV10022 (audience),
// AKV10032 (issuer) and AKV10046 (signing key) are Key Vault's real codes;
// the lifetime, altered-signature and malformed texts are our best guesses
// at the real ones.
func describe(e *entra.ValidationError, tenantID, raw string) (code, msg, reason string) {
	switch e.Kind {
	case entra.InvalidAudience:
		return "AKV10022", "AKV10022: Invalid audience. Expected " + entra.ResourceKeyVault + ", found: " + e.Found + ".",
			"The token was issued for " + e.Found + ", not for Key Vault (https://vault.azure.net). Ask for a token with the scope https://vault.azure.net/.default."
	case entra.InvalidIssuer:
		want := "https://sts.windows.net/" + tenantID + "/"
		return "AKV10032", "AKV10032: Invalid issuer. Expected one of " + want + ", found " + e.Found + ".",
			"The token was issued by another tenant (" + e.Found + "). A vault accepts only tokens from its own tenant (" + want + ")."
	case entra.InvalidLifetime:
		return "AKV10013", "AKV10013: Token is expired.",
			"The token is outside its validity window (" + e.Detail + "). Clients must get a fresh token before the old one expires."
	case entra.InvalidSignature, entra.InvalidAlgorithm:
		if e.Kind == entra.InvalidSignature && e.Expected == "" && e.Found != "" {
			// The key is known but the signature does not verify: the token
			// was altered after Entra ID signed it.
			return "AKV10033", "AKV10033: Signature validation failed.",
				"The token's signature does not match its content (" + e.Detail + "): it was altered after Entra ID signed it."
		}
		header, _, _ := strings.Cut(raw, ".")
		if len(header) > 512 {
			header = header[:512]
		}
		return "AKV10046", "AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '" + header + "'.",
			"The token's signature does not verify against the signing keys Entra ID publishes (" + e.Detail + "). It was not issued by this sandbox's Entra ID, or it was altered."
	default:
		return "AKV10001", "AKV10001: Bearer token is malformed.",
			"The Authorization header does not hold a well-formed JWT (" + e.Detail + ")."
	}
}

func subjectOf(t *trace.Token) string {
	if t == nil {
		return ""
	}
	get := func(k string) string { s, _ := t.Claims[k].(string); return s }
	if get("oid") == "" && get("appid") == "" {
		return ""
	}
	return "appid=" + get("appid") + ";oid=" + get("oid") + ";iss=" + get("iss")
}
