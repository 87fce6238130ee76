// Package proxy makes a learner's own program reach the simulated cloud: an
// HTTP proxy that answers CONNECT for the simulated hosts by terminating TLS
// with a leaf certificate minted for the host by the sandbox's own root CA,
// and serves absolute-form plain-HTTP requests (IMDS) the same way.
package proxy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// CACommonName is the root's subject: what a learner sees in a trust store.
const CACommonName = "Azure Auth Sandbox Local CA"

const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 24 * time.Hour
	// leafRenewBefore: a cached leaf this close to expiry is minted again.
	leafRenewBefore = 2 * time.Hour
	// maxLeaves bounds the cache; the simulated hosts are few per sandbox.
	maxLeaves = 4096
)

// CA is the sandbox's root certificate authority and its cache of leaf
// certificates, one per host.
type CA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	keyPEM  []byte
	// leafKey is shared by every leaf: generating a key per host would cost
	// more than the signature and buys nothing for a local CA.
	leafKey *ecdsa.PrivateKey
	now     func() time.Time

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// NewCA creates a new ECDSA P-256 root valid for ten years.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("proxy: new ca: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("proxy: new ca: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CACommonName, Organization: []string{"Azure Auth Sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("proxy: new ca: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("proxy: new ca: %w", err)
	}
	return LoadCA(
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	)
}

// LoadCA loads a root saved from CertPEM and KeyPEM (PKCS#8, SEC 1 EC or
// PKCS#1 RSA keys are accepted).
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, errors.New("proxy: load ca: no CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("proxy: load ca: %w", err)
	}
	if !cert.IsCA {
		return nil, errors.New("proxy: load ca: certificate is not a CA")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, errors.New("proxy: load ca: no key block")
	}
	key, err := parseKey(kb)
	if err != nil {
		return nil, fmt.Errorf("proxy: load ca: %w", err)
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, errors.New("proxy: load ca: key does not match certificate")
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("proxy: load ca: %w", err)
	}
	return &CA{
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		key:     key,
		keyPEM:  keyPEM,
		leafKey: leafKey,
		now:     time.Now,
		leaves:  map[string]*tls.Certificate{},
	}, nil
}

func parseKey(b *pem.Block) (crypto.Signer, error) {
	switch b.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return s, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *ecdsa.PublicKey:
		return k.Equal(b)
	case *rsa.PublicKey:
		return k.Equal(b)
	case equaler:
		return k.Equal(b)
	}
	return false
}

// CertPEM returns the root certificate (what /ca.pem serves).
func (ca *CA) CertPEM() []byte { return ca.certPEM }

// KeyPEM returns the root's private key, for persisting.
func (ca *CA) KeyPEM() []byte { return ca.keyPEM }

// Certificate returns the parsed root.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Pool returns a cert pool holding only the root (for clients in tests).
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Leaf returns a certificate for host (a DNS name or an IP address), minting
// it on first use and when the cached one is about to expire. Leaves live a
// day; the cost of minting is paid once per host per day.
func (ca *CA) Leaf(host string) (*tls.Certificate, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return nil, errors.New("proxy: leaf: empty host")
	}
	now := ca.now()
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.leaves[host]; ok && now.Add(leafRenewBefore).Before(c.Leaf.NotAfter) {
		return c, nil
	}
	c, err := ca.mint(host, now)
	if err != nil {
		return nil, err
	}
	if len(ca.leaves) >= maxLeaves {
		for k := range ca.leaves { // evict an arbitrary entry
			delete(ca.leaves, k)
			break
		}
	}
	ca.leaves[host] = c
	return c, nil
}

func (ca *CA) mint(host string, now time.Time) (*tls.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("proxy: leaf %s: %w", host, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    now.Add(-time.Hour), // tolerate clock skew
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, ca.leafKey.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("proxy: leaf %s: %w", host, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("proxy: leaf %s: %w", host, err)
	}
	return &tls.Certificate{
		Certificate: [][]byte{der, ca.cert.Raw},
		PrivateKey:  ca.leafKey,
		Leaf:        leaf,
	}, nil
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}
