package proxy

import (
	"crypto/x509"
	"testing"
)

func x509VerifyOpts(ca *CA) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

func mustOtherKey(t *testing.T) []byte {
	t.Helper()
	other, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	return other.KeyPEM()
}
