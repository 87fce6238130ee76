package queue

import (
	"context"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// Finding: queues grew without limit (600 messages of 32 KiB: puts from 32
// to 158 ms, RSS +300 MB). Each queue and each sandbox now has a cap on
// messages and bytes, refused in Azure's shape through the real SDK.
func TestQueueLimits(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		queues []string // enqueued round-robin
		size   int
		okN    int // messages accepted before the refusal
		want   string
	}{
		{"messages per queue", Limits{MessagesPerQueue: 3}, []string{scenario.QueueName}, 10, 3, "per queue"},
		{"bytes per queue", Limits{BytesPerQueue: 25}, []string{scenario.QueueName}, 10, 2, "per queue"},
		{"messages per sandbox", Limits{MessagesPerSandbox: 4}, []string{scenario.QueueName, "second"}, 10, 4, "in all"},
		{"bytes per sandbox", Limits{BytesPerSandbox: 45}, []string{scenario.QueueName, "second"}, 10, 4, "in all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.svc.limits = tc.limits.withDefaults()
			f.grant(rbac.RoleStorageQueueDataContributor)
			ctx := context.Background()
			var clients []*azqueue.QueueClient
			for _, q := range tc.queues {
				qc := f.queueClient(q)
				if q != scenario.QueueName {
					if _, err := qc.Create(ctx, nil); err != nil {
						t.Fatal(err)
					}
				}
				clients = append(clients, qc)
			}
			text := strings.Repeat("x", tc.size)
			for i := 0; i < tc.okN; i++ {
				if _, err := clients[i%len(clients)].EnqueueMessage(ctx, text, nil); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
			}
			_, err := clients[tc.okN%len(clients)].EnqueueMessage(ctx, text, nil)
			if err == nil {
				t.Fatalf("message %d accepted beyond the limit", tc.okN)
			}
			status, code := statusOf(t, err)
			if status != 409 || code != "QueueQuotaExceeded" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("refusal: %d %s: %v", status, code, err)
			}
			// Clearing makes room again.
			if _, err := clients[0].ClearMessages(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := clients[0].EnqueueMessage(ctx, text, nil); err != nil {
				t.Errorf("after clearing: %v", err)
			}
		})
	}
}

// Updating a message to a larger text counts against the limits too.
func TestQueueLimitsOnUpdate(t *testing.T) {
	f := newFixture(t)
	f.svc.limits = Limits{BytesPerQueue: 20}.withDefaults()
	f.grant(rbac.RoleStorageQueueDataContributor)
	ctx := context.Background()
	qc := f.queueClient(scenario.QueueName)
	resp, err := qc.EnqueueMessage(ctx, "small", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Messages[0]
	_, err = qc.UpdateMessage(ctx, *m.MessageID, *m.PopReceipt, strings.Repeat("y", 40), nil)
	if status, code := statusOf(t, err); status != 409 || code != "QueueQuotaExceeded" {
		t.Fatalf("update beyond the limit: %d %s", status, code)
	}
}
