package queue

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// BenchmarkEnqueueDequeue measures one enqueue + dequeue + delete through the
// real azqueue client, azidentity credential (token cached after the first
// call), the in-process transport and the service, RBAC included.
func BenchmarkEnqueueDequeue(b *testing.B) {
	f := newFixture(b)
	f.grant(rbac.RoleStorageQueueDataContributor)
	qc := f.queueClient(scenario.QueueName)
	ctx := context.Background()
	if _, err := qc.EnqueueMessage(ctx, "warm-up", nil); err != nil { // fetches the token
		b.Fatal(err)
	}
	if _, err := qc.ClearMessages(ctx, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		enqueueDequeueDelete(b, ctx, qc)
	}
}

// enqueueDequeueDelete is one message's round through the SDK: enqueued,
// dequeued (it must be the only one) and deleted.
func enqueueDequeueDelete(b *testing.B, ctx context.Context, qc *azqueue.QueueClient) {
	if _, err := qc.EnqueueMessage(ctx, "hello from the benchmark", nil); err != nil {
		b.Fatal(err)
	}
	resp, err := qc.DequeueMessage(ctx, nil)
	if err != nil || len(resp.Messages) != 1 {
		b.Fatal(err)
	}
	m := resp.Messages[0]
	if _, err := qc.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkParseMessage: the SDK's body read directly (plainMessage) and by
// encoding/xml (xmlMessage).
func BenchmarkParseMessage(b *testing.B) {
	body := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<QueueMessage><MessageText>MDEyMzQ1Njc4OWFiY2RlZg==</MessageText></QueueMessage>")
	b.Run("plainMessage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := plainMessage(body); !ok {
				b.Fatal("not plain")
			}
		}
	})
	b.Run("encoding/xml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, e := xmlMessage(body); e != nil {
				b.Fatal(e)
			}
		}
	})
}
