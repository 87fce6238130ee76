package lessons

import (
	"context"
	"testing"
)

// BenchmarkGetSecretStep runs the get-secret step with a cold credential
// (new DefaultAzureCredential and client each time, made outside the
// timer): the challenge, discovery, token request and the authorized call.
func BenchmarkGetSecretStep(b *testing.B) {
	f := newFixture(b)
	w := f.sandbox(b, "sbx-bench")
	r := f.runner(b, w, lesson1(b))
	ctx := context.Background()
	if res, _ := r.Run(ctx, "grant-role", nil); !res.OK {
		b.Fatal(res.Error)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		run(b, r, "create-credential")
		run(b, r, "create-client")
		b.StartTimer()
		res, err := r.Run(ctx, "get-secret", nil)
		if err != nil || !res.OK {
			b.Fatal(err, res.Error)
		}
	}
}
