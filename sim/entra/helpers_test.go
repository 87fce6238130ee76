package entra

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// testKeys is generated once: RSA generation is slow and tests only read it
// (except rotation tests, which make their own).
var testKeys = sync.OnceValue(func() *KeySet {
	ks, err := GenerateKeySet()
	if err != nil {
		panic(err)
	}
	return ks
})

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// newWorld builds a walkthrough world in a fresh registry.
func newWorld(t testing.TB, reg *world.Registry, id string) *world.World {
	t.Helper()
	if reg == nil {
		reg = world.NewRegistry(nil, nil)
	}
	w, err := scenario.Build(context.Background(), reg, id, scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func principal(t testing.TB, w *world.World, label string) *world.Principal {
	t.Helper()
	var p *world.Principal
	w.View(func(s *world.State) {
		cp := *s.Principals[s.Labels[label]]
		p = &cp
	})
	return p
}

func keychain(w *world.World, label string) (appID, secret string) {
	w.View(func(s *world.State) {
		secret = s.Keychain[label]
		if p := s.Principals[s.Labels[label]]; p != nil {
			appID = p.AppID
		}
	})
	return
}

func tenantOf(w *world.World) string { return w.TenantID() }

// jwksKeys parses a JWKS document into RSA public keys by kid.
func jwksKeys(t testing.TB, doc []byte) map[string]*rsa.PublicKey {
	t.Helper()
	var set struct {
		Keys []struct {
			Kty, Use, Kid, X5t, N, E string
			X5c                      []string
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("jwks: %v: %s", err, doc)
	}
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Use != "sig" || k.Kid != k.X5t || len(k.X5c) != 1 {
			t.Fatalf("jwk shape: %+v", k)
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			t.Fatalf("jwk n/e: %v %v", err1, err2)
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return out
}

func jsonField(t testing.TB, body []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	s, _ := m[key].(string)
	return s
}
