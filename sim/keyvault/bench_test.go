package keyvault

import (
	"context"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// BenchmarkFirstGetSecret is a learner's first call: a new credential and
// client, so challenge, discovery, token request and the call, all in process.
func BenchmarkFirstGetSecret(b *testing.B) {
	e := newEnv(b)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.vaultScope())
	ctx := context.Background()
	e.rec.reset()
	b.ReportAllocs()
	for b.Loop() {
		c := e.secrets(e.credential(scenario.LabelLocalDev))
		if _, err := c.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(e.rec.exchanges()))/float64(b.N), "requests/op")
	e.rec.reset()
}

// BenchmarkWarmGetSecret is a later call of the same client: one request.
func BenchmarkWarmGetSecret(b *testing.B) {
	e := newEnv(b)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.vaultScope())
	ctx := context.Background()
	c := e.secrets(e.credential(scenario.LabelLocalDev))
	if _, err := c.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
		b.Fatal(err)
	}
	e.rec.reset()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(e.rec.exchanges()))/float64(b.N), "requests/op")
	e.rec.reset()
}
