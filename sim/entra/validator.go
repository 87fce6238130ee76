package entra

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// ClockSkew is the tolerance applied to exp and nbf, as Microsoft's token
// validation libraries default to.
const ClockSkew = 5 * time.Minute

// maxTokenLen bounds what Validate will decode; real access tokens are a few
// kilobytes.
const maxTokenLen = 16 << 10

// Validator checks access tokens presented to the simulated resource servers.
type Validator struct {
	keys *KeySet

	// verified remembers tokens whose signature checked out, with their
	// claims: an SDK sends the same token for its hour, and the RSA
	// verification and claim decoding are most of a data-plane request's
	// CPU. The lifetime, audience and issuer are still checked every time.
	mu       sync.Mutex
	verified map[string]*Claims
}

// maxVerified bounds the verified-token memo (about a megabyte of tokens).
const maxVerified = 1024

// NewValidator returns a validator trusting the keys of ks (rotation included).
func NewValidator(ks *KeySet) *Validator {
	return &Validator{keys: ks, verified: map[string]*Claims{}}
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	X5t string `json:"x5t"`
}

// Validate checks raw as a token of w's tenant for one of audiences (any
// audience when none is given). The checks follow Microsoft's validation
// libraries: format, algorithm, signature, lifetime, audience, issuer.
func (v *Validator) Validate(raw string, w *world.World, audiences ...string) (*Claims, *ValidationError) {
	if w == nil {
		return nil, &ValidationError{Kind: InvalidIssuer, Detail: "no tenant to validate the token against"}
	}
	if len(raw) > maxTokenLen {
		return nil, &ValidationError{Kind: InvalidMalformed, Detail: "the token is too long"}
	}
	c, verr := v.verify(raw)
	if verr != nil {
		return nil, verr
	}
	if verr := checkLifetime(c, w.Now()); verr != nil {
		return c, verr
	}
	if len(audiences) > 0 && !audienceMatches(c.Aud, audiences) {
		return c, &ValidationError{Kind: InvalidAudience, Expected: strings.Join(audiences, ", "), Found: c.Aud,
			Detail: "the token is for audience " + quoteOr(c.Aud, "(none)") + ", not for this resource"}
	}
	tid := w.TenantID()
	if c.Iss != V1Issuer(tid) && c.Iss != V2Issuer(tid) {
		return c, &ValidationError{Kind: InvalidIssuer, Expected: V1Issuer(tid), Found: c.Iss,
			Detail: "the token was issued by " + quoteOr(c.Iss, "(none)") + ", not by this resource's tenant"}
	}
	return c, nil
}

// verify checks the token's format, algorithm and signature and decodes its
// claims, once per token; the caller gets its own copy of the claims (their
// Raw map is shared: read only).
func (v *Validator) verify(raw string) (*Claims, *ValidationError) {
	v.mu.Lock()
	c, ok := v.verified[raw]
	v.mu.Unlock()
	if !ok {
		var verr *ValidationError
		if c, verr = v.verifyOnce(raw); verr != nil {
			return nil, verr
		}
		v.mu.Lock()
		if len(v.verified) >= maxVerified {
			clear(v.verified) // crude but bounded; a token verifies again at most once
		}
		v.verified[raw] = c
		v.mu.Unlock()
	}
	cp := *c
	return &cp, nil
}

func (v *Validator) verifyOnce(raw string) (*Claims, *ValidationError) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, &ValidationError{Kind: InvalidMalformed, Found: "", Detail: "the token is not a JWS in compact form (three dot-separated parts)"}
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, &ValidationError{Kind: InvalidMalformed, Detail: "the token header is not base64url"}
	}
	var h jwtHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, &ValidationError{Kind: InvalidMalformed, Detail: "the token header is not JSON"}
	}
	if h.Alg != "RS256" {
		return nil, &ValidationError{Kind: InvalidAlgorithm, Expected: "RS256", Found: h.Alg,
			Detail: "the token's signing algorithm is " + quoteOr(h.Alg, "missing") + "; only RS256 is accepted"}
	}
	kid := h.Kid
	if kid == "" {
		kid = h.X5t
	}
	k := v.keys.lookup(kid)
	if k == nil {
		return nil, &ValidationError{Kind: InvalidSignature, Expected: strings.Join(v.keys.KIDs(), ", "), Found: kid,
			Detail: "the token was signed with key " + quoteOr(kid, "(no kid)") + ", which is not published in the tenant's JWKS"}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, &ValidationError{Kind: InvalidSignature, Detail: "the token signature is not base64url"}
	}
	sum := sha256.Sum256([]byte(raw[:len(parts[0])+1+len(parts[1])]))
	if err := rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, &ValidationError{Kind: InvalidSignature, Found: kid, Detail: "the token signature does not verify against key " + kid}
	}
	return decodeClaims(parts[1])
}

func decodeClaims(seg string) (*Claims, *ValidationError) {
	pb, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, &ValidationError{Kind: InvalidMalformed, Detail: "the token payload is not base64url"}
	}
	d := json.NewDecoder(bytes.NewReader(pb))
	d.UseNumber()
	var raw map[string]any
	if err := d.Decode(&raw); err != nil || raw == nil {
		return nil, &ValidationError{Kind: InvalidMalformed, Detail: "the token payload is not a JSON object"}
	}
	str := func(k string) string { s, _ := raw[k].(string); return s }
	c := &Claims{
		Aud: str("aud"), Iss: str("iss"), AppID: str("appid"), AppIDACR: str("appidacr"),
		OID: str("oid"), Sub: str("sub"), TID: str("tid"), IdTyp: str("idtyp"), Ver: str("ver"),
		XmsMirid: str("xms_mirid"), UPN: str("upn"), Raw: raw,
	}
	if c.AppID == "" { // v2 tokens name the client azp
		c.AppID = str("azp")
		c.AppIDACR = str("azpacr")
	}
	c.IssuedAt, _ = numericDate(raw["iat"])
	c.NotBefore, _ = numericDate(raw["nbf"])
	var ok bool
	if c.Expires, ok = numericDate(raw["exp"]); !ok {
		return c, &ValidationError{Kind: InvalidLifetime, Detail: "the token has no valid exp claim"}
	}
	return c, nil
}

func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

func checkLifetime(c *Claims, now time.Time) *ValidationError {
	const layout = "01/02/2006 15:04:05"
	if now.After(c.Expires.Add(ClockSkew)) {
		return &ValidationError{Kind: InvalidLifetime,
			Expected: "before " + c.Expires.UTC().Format(layout), Found: now.UTC().Format(layout),
			Detail: "the token expired at " + c.Expires.UTC().Format(time.RFC3339) + " (sandbox time is " + now.UTC().Format(time.RFC3339) + ")"}
	}
	if !c.NotBefore.IsZero() && now.Add(ClockSkew).Before(c.NotBefore) {
		return &ValidationError{Kind: InvalidLifetime,
			Expected: "after " + c.NotBefore.UTC().Format(layout), Found: now.UTC().Format(layout),
			Detail: "the token is not valid before " + c.NotBefore.UTC().Format(time.RFC3339) + " (sandbox time is " + now.UTC().Format(time.RFC3339) + ")"}
	}
	return nil
}

// audienceMatches compares ignoring one trailing slash and the case of the
// URI, as Azure's resource servers accept both spellings of their audience.
func audienceMatches(aud string, audiences []string) bool {
	for _, a := range audiences {
		if strings.EqualFold(trimSlash(a), trimSlash(aud)) {
			return true
		}
	}
	return false
}

func quoteOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return `"` + s + `"`
}
