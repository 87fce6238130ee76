package entra

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Token lifetimes Entra uses.
const (
	// LifetimeClientCredentials is the expires_in of a client-credentials or
	// password token.
	LifetimeClientCredentials = 3599 * time.Second
	// LifetimeManagedIdentity is the expires_in of a managed-identity token.
	LifetimeManagedIdentity = 86399 * time.Second
	// backdate is how far Entra sets iat/nbf before the moment of issue.
	backdate = 5 * time.Minute
)

// AzureCLIClientID is the Azure CLI's well-known public client ID: user
// tokens ("signed in as yourself") carry it as appid.
const AzureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// App authentication methods (appidacr).
const (
	ACRPublic      = "0"
	ACRSecret      = "1"
	ACRCertificate = "2"
)

// V1Issuer is the iss of a v1 token of tenant tid.
func V1Issuer(tid string) string { return "https://sts.windows.net/" + tid + "/" }

// V2Issuer is the iss of a v2 token (and the OIDC issuer) of tenant tid.
func V2Issuer(tid string) string { return "https://login.microsoftonline.com/" + tid + "/v2.0" }

// NormalizeResource maps a requested resource (a v1 "resource" or a scope
// with "/.default" stripped) to the audience Entra puts in the token. It
// reports false for a resource the sandbox's Entra does not know.
func NormalizeResource(resource string) (string, bool) {
	r := strings.TrimSuffix(resource, "/.default")
	switch strings.ToLower(trimSlash(r)) {
	case trimSlash(ResourceKeyVault):
		return ResourceKeyVault, true
	case trimSlash(ResourceStorage):
		return ResourceStorage, true
	case trimSlash(ResourceARM), "https://management.core.windows.net":
		return ResourceARM, true
	case trimSlash(ResourceGraph), GraphAppID:
		return ResourceGraph, true
	}
	return "", false
}

// Issuer signs access tokens with the active key of a KeySet.
type Issuer struct {
	keys *KeySet
}

// NewIssuer returns an issuer signing with ks.
func NewIssuer(ks *KeySet) *Issuer { return &Issuer{keys: ks} }

// Keys returns the issuer's key set.
func (i *Issuer) Keys() *KeySet { return i.keys }

// IssueOptions control one issuance. Zero values take Entra's defaults.
type IssueOptions struct {
	// Resource is the requested resource or scope; it must be a first-party
	// resource (NormalizeResource).
	Resource string
	// Now is the sandbox time of issue (w.Now() when zero).
	Now time.Time
	// Lifetime is exp minus Now: LifetimeManagedIdentity for managed
	// identities, LifetimeClientCredentials otherwise.
	Lifetime time.Duration
	// AppIDACR is how the app authenticated: ACRSecret by default for apps,
	// ACRCertificate for managed identities, ACRPublic for users.
	AppIDACR string
	// ClientID is the public client a user signed in through (the appid of
	// a user token); AzureCLIClientID when empty.
	ClientID string
}

// ErrUnknownResource is returned for a resource outside NormalizeResource.
var ErrUnknownResource = errors.New("unknown resource")

// Issue signs an access token for p to call resource, issued at now.
func (i *Issuer) Issue(w *world.World, p *world.Principal, resource string, now time.Time) (string, time.Time, error) {
	return i.IssueWith(w, p, IssueOptions{Resource: resource, Now: now})
}

// v1Claims is a v1 access token's payload, in Entra's claim order.
type v1Claims struct {
	Aud        string   `json:"aud"`
	Iss        string   `json:"iss"`
	Iat        int64    `json:"iat"`
	Nbf        int64    `json:"nbf"`
	Exp        int64    `json:"exp"`
	Acr        string   `json:"acr,omitempty"`
	Amr        []string `json:"amr,omitempty"`
	AppID      string   `json:"appid"`
	AppIDACR   string   `json:"appidacr"`
	IDP        string   `json:"idp,omitempty"`
	IDTyp      string   `json:"idtyp"`
	Name       string   `json:"name,omitempty"`
	OID        string   `json:"oid"`
	Scp        string   `json:"scp,omitempty"`
	Sub        string   `json:"sub"`
	TID        string   `json:"tid"`
	UniqueName string   `json:"unique_name,omitempty"`
	UPN        string   `json:"upn,omitempty"`
	UTI        string   `json:"uti"`
	Ver        string   `json:"ver"`
	XmsMirid   string   `json:"xms_mirid,omitempty"`
}

// IssueWith signs an access token with explicit options.
func (i *Issuer) IssueWith(w *world.World, p *world.Principal, o IssueOptions) (string, time.Time, error) {
	t, err := i.issue(w, p, o)
	return t.token, t.exp, err
}

// issued is a signed access token, its expiry, and the token as the trace
// shows it (trace.DecodeJWT's reading of it), built from the claims signed.
type issued struct {
	token   string
	exp     time.Time
	decoded *trace.Token
}

// issue signs an access token; the token endpoints use it to hand the trace
// the decoded token without decoding what they just encoded.
func (i *Issuer) issue(w *world.World, p *world.Principal, o IssueOptions) (issued, error) {
	if w == nil || p == nil {
		return issued{}, errors.New("entra: issue: no world or principal")
	}
	aud, ok := NormalizeResource(o.Resource)
	if !ok {
		return issued{}, fmt.Errorf("entra: issue %q: %w", o.Resource, ErrUnknownResource)
	}
	now := o.Now
	if now.IsZero() {
		now = w.Now()
	}
	now = now.Truncate(time.Second)
	isMI := p.Kind == world.KindSystemAssigned || p.Kind == world.KindUserAssigned
	lifetime := o.Lifetime
	if lifetime <= 0 {
		lifetime = LifetimeClientCredentials
		if isMI {
			lifetime = LifetimeManagedIdentity
		}
	}
	tid := w.TenantID()
	iss := V1Issuer(tid)
	exp := now.Add(lifetime)
	c := v1Claims{
		Aud: aud, Iss: iss,
		Iat: now.Add(-backdate).Unix(), Nbf: now.Add(-backdate).Unix(), Exp: exp.Unix(),
		AppID: p.AppID, AppIDACR: o.AppIDACR, IDP: iss, IDTyp: "app",
		OID: p.ObjectID, Sub: p.ObjectID, TID: tid, UTI: newUTI(), Ver: "1.0",
	}
	switch {
	case p.Kind == world.KindUser:
		c.AppID = AzureCLIClientID
		if o.ClientID != "" {
			c.AppID = o.ClientID
		}
		c.IDP = "" // home-tenant users carry no idp
		c.IDTyp = "user"
		c.Acr, c.Amr = "1", []string{"pwd"}
		c.Name, c.UPN, c.UniqueName = p.DisplayName, p.UserPrincipalName, p.UserPrincipalName
		c.Scp = "user_impersonation"
		if c.AppIDACR == "" {
			c.AppIDACR = ACRPublic
		}
	case isMI:
		c.XmsMirid = p.ResourceID
		if c.AppIDACR == "" {
			c.AppIDACR = ACRCertificate
		}
	case p.Kind == world.KindGroup:
		return issued{}, errors.New("entra: issue: a group cannot sign in")
	default:
		if c.AppIDACR == "" {
			c.AppIDACR = ACRSecret
		}
	}
	k := i.keys.active()
	tok, err := i.signWith(k, &c)
	if err != nil {
		return issued{}, err
	}
	t := issued{token: tok, exp: exp, decoded: c.decoded(k)}
	if t.decoded == nil { // a claim JSON would rewrite: read it back instead
		t.decoded = trace.DecodeJWT(tok)
	}
	return t, nil
}

// decoded is what trace.DecodeJWT reads back from a token with these claims
// signed by k: JSON's types (numbers float64, arrays []any), the omitted
// empty claims left out, with its JSON for the trace's store (trace.NewToken).
// It is nil when a string is not valid UTF-8, which encoding/json would
// have rewritten. It costs a few µs where decoding the token costs 18 µs,
// and json.Marshal of the maps (the store's row) another 10 µs; a token's
// RSA signature takes 1.2 ms. TestIssuedDecodedIsTheTokenReadBack holds it
// to trace.DecodeJWT and its JSON to json.Marshal.
func (c *v1Claims) decoded(k *signingKey) *trace.Token {
	m := make(map[string]any, 21)
	str := func(name, v string, omitEmpty bool) bool {
		if v == "" && omitEmpty {
			return true
		}
		m[name] = v
		return utf8.ValidString(v)
	}
	ok := str("aud", c.Aud, false) && str("iss", c.Iss, false) &&
		str("acr", c.Acr, true) && str("appid", c.AppID, false) && str("appidacr", c.AppIDACR, false) &&
		str("idp", c.IDP, true) && str("idtyp", c.IDTyp, false) && str("name", c.Name, true) &&
		str("oid", c.OID, false) && str("scp", c.Scp, true) && str("sub", c.Sub, false) &&
		str("tid", c.TID, false) && str("unique_name", c.UniqueName, true) && str("upn", c.UPN, true) &&
		str("uti", c.UTI, false) && str("ver", c.Ver, false) && str("xms_mirid", c.XmsMirid, true)
	if !ok {
		return nil
	}
	m["iat"], m["nbf"], m["exp"] = float64(c.Iat), float64(c.Nbf), float64(c.Exp)
	if len(c.Amr) > 0 {
		amr := make([]any, len(c.Amr))
		for i, v := range c.Amr {
			if !utf8.ValidString(v) {
				return nil
			}
			amr[i] = v
		}
		m["amr"] = amr
	}
	return trace.NewToken(k.traceHeader, m, c.traceJSON(k))
}

// sortedClaims are v1Claims in sorted order: json.Marshal writes it as it
// writes the decoded claim map (sorted keys, the same members left out;
// whole-second float64 numbers are written as integers).
type sortedClaims struct {
	Acr        string   `json:"acr,omitempty"`
	Amr        []string `json:"amr,omitempty"`
	AppID      string   `json:"appid"`
	AppIDACR   string   `json:"appidacr"`
	Aud        string   `json:"aud"`
	Exp        int64    `json:"exp"`
	Iat        int64    `json:"iat"`
	IDP        string   `json:"idp,omitempty"`
	IDTyp      string   `json:"idtyp"`
	Iss        string   `json:"iss"`
	Name       string   `json:"name,omitempty"`
	Nbf        int64    `json:"nbf"`
	OID        string   `json:"oid"`
	Scp        string   `json:"scp,omitempty"`
	Sub        string   `json:"sub"`
	TID        string   `json:"tid"`
	UniqueName string   `json:"unique_name,omitempty"`
	UPN        string   `json:"upn,omitempty"`
	UTI        string   `json:"uti"`
	Ver        string   `json:"ver"`
	XmsMirid   string   `json:"xms_mirid,omitempty"`
}

// traceJSON is json.Marshal of the decoded token (trace.Token: its header,
// then its claims), written from the struct: encoding/json encodes a struct
// without walking and sorting a map. nil if it fails (it cannot: strings
// and integers only); the store then encodes the maps itself.
func (c *v1Claims) traceJSON(k *signingKey) []byte {
	b, err := json.Marshal(&sortedClaims{
		Acr: c.Acr, Amr: c.Amr, AppID: c.AppID, AppIDACR: c.AppIDACR, Aud: c.Aud, Exp: c.Exp, Iat: c.Iat,
		IDP: c.IDP, IDTyp: c.IDTyp, Iss: c.Iss, Name: c.Name, Nbf: c.Nbf, OID: c.OID, Scp: c.Scp, Sub: c.Sub,
		TID: c.TID, UniqueName: c.UniqueName, UPN: c.UPN, UTI: c.UTI, Ver: c.Ver, XmsMirid: c.XmsMirid,
	})
	if err != nil {
		return nil
	}
	out := make([]byte, 0, len(`{"header":,"claims":}`)+len(k.traceHeaderJSON)+len(b))
	out = append(append(append(out, `{"header":`...), k.traceHeaderJSON...), `,"claims":`...)
	return append(append(out, b...), '}')
}

// sign builds header.payload.signature with the active key.
func (i *Issuer) sign(claims any) (string, error) { return i.signWith(i.keys.active(), claims) }

// signWith builds header.payload.signature with k. The header and the key's
// CRT values are precomputed, so the cost is one RSA signature.
func (i *Issuer) signWith(k *signingKey, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("entra: sign: %w", err)
	}
	enc := base64.RawURLEncoding
	n := len(k.header) + enc.EncodedLen(len(payload))
	buf := make([]byte, 0, n+1+enc.EncodedLen(256))
	buf = append(buf, k.header...)
	buf = enc.AppendEncode(buf, payload)
	sum := sha256.Sum256(buf)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("entra: sign: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// newUTI returns a token identifier shaped like Entra's (22 base64url chars).
func newUTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// idClaims is a v2 ID token's payload, for the user flows MSAL runs.
type idClaims struct {
	Aud               string `json:"aud"`
	Iss               string `json:"iss"`
	Iat               int64  `json:"iat"`
	Nbf               int64  `json:"nbf"`
	Exp               int64  `json:"exp"`
	Name              string `json:"name"`
	OID               string `json:"oid"`
	PreferredUsername string `json:"preferred_username"`
	Sub               string `json:"sub"`
	TID               string `json:"tid"`
	UTI               string `json:"uti"`
	Ver               string `json:"ver"`
}

// IssueIDToken signs a v2 ID token for user p signing in to clientID.
func (i *Issuer) IssueIDToken(w *world.World, p *world.Principal, clientID string, now time.Time) (string, error) {
	now = now.Truncate(time.Second)
	tid := w.TenantID()
	return i.sign(&idClaims{
		Aud: clientID, Iss: V2Issuer(tid),
		Iat: now.Add(-backdate).Unix(), Nbf: now.Add(-backdate).Unix(), Exp: now.Add(time.Hour).Unix(),
		Name: p.DisplayName, OID: p.ObjectID, PreferredUsername: p.UserPrincipalName,
		Sub: p.ObjectID, TID: tid, UTI: newUTI(), Ver: "2.0",
	})
}
