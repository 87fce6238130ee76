// Package proxytest gives tests one proxy CA per test binary: its RSA key
// is slow to generate, and no test needs a CA of its own.
package proxytest

import (
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/proxy"
)

var ca = sync.OnceValues(proxy.NewCA)

// CA returns the test binary's shared CA.
func CA(tb testing.TB) *proxy.CA {
	tb.Helper()
	c, err := ca()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
