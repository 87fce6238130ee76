package queue

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// authResult is who the request authenticated as: token claims for a bearer
// request, nil claims for Shared Key (which RBAC does not check).
type authResult struct {
	claims *entra.Claims
}

// authenticate checks the Authorization header. Shared access signatures
// are not simulated.
func (c *call) authenticate() (authResult, *storageError) {
	h := strings.TrimSpace(c.r.Header.Get("Authorization"))
	if h == "" {
		if c.query().Get("sig") != "" {
			c.notes.Authn = &trace.Authn{Code: "AuthenticationFailed", Reason: "The sandbox does not simulate shared access signatures (SAS)."}
			return authResult{}, newError(http.StatusForbidden, "AuthenticationFailed", msgAuthFailed,
				field{"AuthenticationErrorDetail", "Shared access signatures are not supported by the sandbox."})
		}
		c.notes.Authn = &trace.Authn{Code: "NoAuthenticationInformation", Reason: "The request carried no Authorization header: Azure answers with a challenge naming the tenant and the resource to get a token for."}
		c.challenge()
		return authResult{}, newError(http.StatusUnauthorized, "NoAuthenticationInformation", msgServerAuth)
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		return c.bearer(cred)
	case scheme == "SharedKey" && cred != "":
		return authResult{}, c.sharedKey(cred)
	}
	c.notes.Authn = &trace.Authn{Code: "InvalidAuthenticationInfo", Reason: "The Authorization header is neither \"Bearer <token>\" nor \"SharedKey <account>:<signature>\"."}
	return authResult{}, newError(http.StatusBadRequest, "InvalidAuthenticationInfo",
		"Authentication information is not given in the correct format. Check the value of Authorization header.")
}

// challenge adds the storage bearer challenge (values unquoted, as Azure
// sends them) from the version that introduced it.
func (c *call) challenge() {
	if c.version < minChallengeVersion {
		return
	}
	c.rw.Header().Set("WWW-Authenticate", "Bearer authorization_uri=https://login.microsoftonline.com/"+
		c.w.TenantID()+"/oauth2/authorize resource_id="+entra.ResourceStorage)
}

func (c *call) bearer(raw string) (authResult, *storageError) {
	// The trace's decoded token comes from the front door, which decodes
	// each token once (the queue's clients send the same one many times).
	claims, verr := c.s.tokens.Validate(raw, c.w, entra.ResourceStorage, "https://"+strings.ToLower(c.account)+service.SuffixQueue)
	if verr != nil {
		a := &trace.Authn{Code: "InvalidAuthenticationInfo", Reason: verr.Detail}
		if claims != nil {
			a.Subject = claims.Caller()
		}
		c.notes.Authn = a
		c.challenge()
		return authResult{}, newError(http.StatusUnauthorized, "InvalidAuthenticationInfo", msgServerAuth,
			field{"AuthenticationErrorDetail", bearerDetail(verr)})
	}
	c.notes.Authn = &trace.Authn{OK: true, Subject: claims.Caller()}
	return authResult{claims: claims}, nil
}

// bearerDetail words a validation failure as Azure Storage's
// AuthenticationErrorDetail does.
func bearerDetail(v *entra.ValidationError) string {
	switch v.Kind {
	case entra.InvalidAudience:
		return "Audience validation failed. Audience did not match."
	case entra.InvalidIssuer:
		return "Issuer validation failed. Issuer did not match."
	case entra.InvalidLifetime:
		if strings.HasPrefix(v.Expected, "after") {
			return "Lifetime validation failed. The token is not yet valid."
		}
		return "Lifetime validation failed. The token is expired."
	case entra.InvalidSignature, entra.InvalidAlgorithm:
		return "Signature validation failed. Signature is improperly formatted or does not verify."
	default:
		return "Token is malformed."
	}
}

// sharedKey verifies "SharedKey account:signature" against the account key.
// A key is all-powerful: no RBAC check follows.
func (c *call) sharedKey(cred string) *storageError {
	name, sig, ok := strings.Cut(cred, ":")
	var key string
	c.w.View(func(st *world.State) {
		if a := st.StorageAccount(c.account); a != nil {
			key = a.AccountKey
		}
	})
	fail := func(reason, detail string) *storageError {
		c.notes.Authn = &trace.Authn{Subject: "SharedKey account=" + name, Code: "AuthenticationFailed", Reason: reason}
		return newError(http.StatusForbidden, "AuthenticationFailed", msgAuthFailed,
			field{"AuthenticationErrorDetail", detail})
	}
	if !ok || name == "" || sig == "" {
		c.notes.Authn = &trace.Authn{Code: "InvalidAuthenticationInfo", Reason: "The SharedKey header is not \"SharedKey <account>:<signature>\"."}
		return newError(http.StatusBadRequest, "InvalidAuthenticationInfo",
			"Authentication information is not given in the correct format. Check the value of Authorization header.")
	}
	if c.r.Header.Get("x-ms-date") == "" && c.r.Header.Get("Date") == "" {
		return fail("The request has neither x-ms-date nor Date.", "Request date header not specified.")
	}
	toSign := stringToSign(c.r, c.account)
	if !strings.EqualFold(name, c.account) || !verifySignature(key, toSign, sig) {
		return fail("The signature does not match one computed with the account key: the key is wrong or the request was altered.",
			"The MAC signature found in the HTTP request '"+sig+"' is not the same as any computed signature. Server used following string to sign: '"+toSign+"'.")
	}
	c.notes.Authn = &trace.Authn{OK: true, Subject: "SharedKey account=" + c.account,
		Reason: "Signed with the storage account key: full access to the account, no role assignment checked."}
	return nil
}
