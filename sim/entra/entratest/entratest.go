// Package entratest gives tests of the simulated cloud one signing key set
// per test binary: RSA key generation is slow, and no test needs keys of
// its own.
package entratest

import (
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
)

var keys = sync.OnceValues(entra.GenerateKeySet)

// Keys returns the test binary's shared key set.
func Keys(tb testing.TB) *entra.KeySet {
	tb.Helper()
	ks, err := keys()
	if err != nil {
		tb.Fatal(err)
	}
	return ks
}
