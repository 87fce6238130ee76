package entra

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxKeys is how many signing keys a KeySet keeps after rotation: the active
// one and two predecessors, so tokens signed before a rotation stay valid.
const maxKeys = 3

// keyCertCN is the subject Entra's signing certificates carry.
const keyCertCN = "accounts.accesscontrol.windows.net"

// tenantPlaceholder is how the common JWKS names the issuer; per-tenant key
// documents substitute the tenant ID for it.
const tenantPlaceholder = "{tenantid}"

// signingKey is one RSA key with its self-signed certificate. Everything a
// token needs from it (header, public key) is computed once.
type signingKey struct {
	kid     string // base64url SHA-1 of the certificate DER (also x5t)
	priv    *rsa.PrivateKey
	certDER []byte
	// header is the base64url-encoded JWT header followed by ".", ready to
	// prefix the claims.
	header string
	// traceHeader is the header as trace.DecodeJWT reads it back, shared
	// read-only by the decoded tokens the key signs; traceHeaderJSON is its
	// JSON as json.Marshal writes it (sorted keys).
	traceHeader     map[string]any
	traceHeaderJSON []byte
}

// keySnapshot is an immutable view of the key set; rotation swaps it whole,
// so issuance and validation never lock.
type keySnapshot struct {
	keys   []*signingKey // keys[0] is active
	byKID  map[string]*signingKey
	jwksV2 []byte // with issuer placeholder
	jwksV1 []byte // without issuer
}

// KeySet holds the token-signing keys of the simulated Entra ID. It is safe
// for concurrent use.
type KeySet struct {
	mu   sync.Mutex // serializes Rotate
	snap atomic.Pointer[keySnapshot]
}

// GenerateKeySet returns a key set with one new RSA 2048 key.
func GenerateKeySet() (*KeySet, error) {
	k, err := newSigningKey()
	if err != nil {
		return nil, fmt.Errorf("entra: generate key set: %w", err)
	}
	ks := &KeySet{}
	ks.snap.Store(buildSnapshot([]*signingKey{k}))
	return ks, nil
}

// ParseKeySet reads a key set written by PEM: pairs of PRIVATE KEY and
// CERTIFICATE blocks, the active key first.
func ParseKeySet(data []byte) (*KeySet, error) {
	var keys []*signingKey
	var pending *rsa.PrivateKey
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY", "RSA PRIVATE KEY":
			if pending != nil {
				return nil, errors.New("entra: parse key set: private key without certificate")
			}
			priv, err := parsePrivateKey(b)
			if err != nil {
				return nil, fmt.Errorf("entra: parse key set: %w", err)
			}
			pending = priv
		case "CERTIFICATE":
			if pending == nil {
				return nil, errors.New("entra: parse key set: certificate without private key")
			}
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("entra: parse key set: %w", err)
			}
			pub, ok := cert.PublicKey.(*rsa.PublicKey)
			if !ok || !pub.Equal(&pending.PublicKey) {
				return nil, errors.New("entra: parse key set: certificate does not match its key")
			}
			keys = append(keys, finishKey(pending, b.Bytes))
			pending = nil
		}
	}
	if pending != nil {
		return nil, errors.New("entra: parse key set: private key without certificate")
	}
	if len(keys) == 0 {
		return nil, errors.New("entra: parse key set: no keys")
	}
	if len(keys) > maxKeys {
		keys = keys[:maxKeys]
	}
	ks := &KeySet{}
	ks.snap.Store(buildSnapshot(keys))
	return ks, nil
}

func parsePrivateKey(b *pem.Block) (*rsa.PrivateKey, error) {
	if b.Type == "RSA PRIVATE KEY" {
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return priv, nil
}

// PEM serializes the key set (active key first) for persistence.
func (ks *KeySet) PEM() []byte {
	var buf bytes.Buffer
	for _, k := range ks.snap.Load().keys {
		der, err := x509.MarshalPKCS8PrivateKey(k.priv)
		if err != nil { // cannot happen for a valid RSA key
			continue
		}
		_ = pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: k.certDER})
	}
	return buf.Bytes()
}

// Rotate makes a new key active. The previous keys stay published for
// validation; at most three keys are kept.
func (ks *KeySet) Rotate() error {
	k, err := newSigningKey()
	if err != nil {
		return fmt.Errorf("entra: rotate: %w", err)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	old := ks.snap.Load().keys
	keys := append([]*signingKey{k}, old...)
	if len(keys) > maxKeys {
		keys = keys[:maxKeys]
	}
	ks.snap.Store(buildSnapshot(keys))
	return nil
}

// ActiveKID is the kid of the key that signs new tokens.
func (ks *KeySet) ActiveKID() string { return ks.active().kid }

// KIDs lists the published key IDs, active first.
func (ks *KeySet) KIDs() []string {
	keys := ks.snap.Load().keys
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.kid
	}
	return out
}

// JWKS is the common v2 key document ({"keys":[...]}), whose issuer reads
// https://login.microsoftonline.com/{tenantid}/v2.0 as Entra's does.
func (ks *KeySet) JWKS() []byte { return ks.snap.Load().jwksV2 }

// JWKSForTenant is the v2 key document of one tenant (issuer filled in).
func (ks *KeySet) JWKSForTenant(tenantID string) []byte {
	return bytes.ReplaceAll(ks.snap.Load().jwksV2, []byte(tenantPlaceholder), []byte(tenantID))
}

// JWKSV1 is the v1 key document (/discovery/keys), which has no issuer.
func (ks *KeySet) JWKSV1() []byte { return ks.snap.Load().jwksV1 }

func (ks *KeySet) active() *signingKey { return ks.snap.Load().keys[0] }

func (ks *KeySet) lookup(kid string) *signingKey { return ks.snap.Load().byKID[kid] }

func newSigningKey() (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: keyCertCN},
		Issuer:                pkix.Name{CommonName: keyCertCN},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, err
	}
	return finishKey(priv, der), nil
}

func finishKey(priv *rsa.PrivateKey, certDER []byte) *signingKey {
	priv.Precompute()
	sum := sha1.Sum(certDER)
	kid := base64.RawURLEncoding.EncodeToString(sum[:])
	// Entra's v1 header order: typ, alg, x5t, kid.
	h := `{"typ":"JWT","alg":"RS256","x5t":"` + kid + `","kid":"` + kid + `"}`
	th := map[string]any{"typ": "JWT", "alg": "RS256", "x5t": kid, "kid": kid}
	thJSON, _ := json.Marshal(th) // strings only: it cannot fail
	return &signingKey{
		kid:             kid,
		priv:            priv,
		certDER:         certDER,
		header:          base64.RawURLEncoding.EncodeToString([]byte(h)) + ".",
		traceHeader:     th,
		traceHeaderJSON: thJSON,
	}
}

type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X5c    []string `json:"x5c"`
	Issuer string   `json:"issuer,omitempty"`
}

func buildSnapshot(keys []*signingKey) *keySnapshot {
	s := &keySnapshot{keys: keys, byKID: make(map[string]*signingKey, len(keys))}
	v1 := make([]jwk, 0, len(keys))
	v2 := make([]jwk, 0, len(keys))
	for _, k := range keys {
		s.byKID[k.kid] = k
		j := jwk{
			Kty: "RSA",
			Use: "sig",
			Kid: k.kid,
			X5t: k.kid,
			N:   base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
			X5c: []string{base64.StdEncoding.EncodeToString(k.certDER)},
		}
		v1 = append(v1, j)
		j.Issuer = "https://login.microsoftonline.com/" + tenantPlaceholder + "/v2.0"
		v2 = append(v2, j)
	}
	s.jwksV1 = mustJSON(map[string]any{"keys": v1})
	s.jwksV2 = mustJSON(map[string]any{"keys": v2})
	return s
}

// mustJSON marshals values that cannot fail to marshal (plain strings and
// slices); json escapes HTML characters by default, which these never hold.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("entra: marshal: " + err.Error())
	}
	return b
}

// trimSlash drops one trailing slash, for comparing resource URIs.
func trimSlash(s string) string { return strings.TrimSuffix(s, "/") }
