package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/google/uuid"
)

// roleStorageQueueDataContributor reads, adds and deletes queue messages.
const roleStorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"

// Queue messages are stored as change records, group-committed: under
// concurrent load (writers enqueueing, readers dequeueing and deleting, all
// through the proxy with the real SDK) the process is killed with SIGKILL.
// After a restart every message whose enqueue was acknowledged is there
// with its text, unless its delete was acknowledged, and no message whose
// delete was acknowledged is back. Then the restarted process (its queue
// restored from the stored world and change records) takes the same load
// and is killed again: after the second restart both rounds' messages are
// as acknowledged.
func TestKill9KeepsQueueMessagesUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	ctx := context.Background()

	// 16 clients of one sandbox go well beyond a learner's proxy rate.
	unlimited := []string{"--proxy-rate", "100000", "--proxy-burst", "100000"}
	first := startProcess(t, bin, data, unlimited...)
	sb := createSandbox(t, first.url)
	pool := caPool(t, sb.CACertURL)
	client := proxyClient(sb, pool)
	grantQueueContributor(t, ctx, sb, roleAssignments(t, sb, credential(t, sb, "owner", client), client))
	round1 := queueLoadUntilKilled(t, ctx, queueClient(t, sb, client), first)

	second := startProcess(t, bin, data, unlimited...)
	// Messages dequeued but not deleted are invisible for 30 s: move the
	// sandbox clock past that, well within their 7-day time to live.
	api(t, second.url, sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":3600}`, nil)
	sb.ProxyURL = second.url
	q := queueClient(t, sb, proxyClient(sb, pool))
	// Draining makes every message invisible for an hour: the second
	// round's readers see only that round's messages.
	found := drainQueue(t, ctx, q)
	round1.check(t, "after the first restart", found)

	round2 := queueLoadUntilKilled(t, ctx, q, second)
	third := startProcess(t, bin, data, unlimited...)
	api(t, third.url, sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":7200}`, nil)
	sb.ProxyURL = third.url
	found2 := drainQueue(t, ctx, queueClient(t, sb, proxyClient(sb, pool)))
	for id, text := range found {
		if got, ok := found2[id]; !ok || got != text {
			t.Errorf("message %s (%q), there after the first restart, after the second: %q, present %v", id, text, got, ok)
		}
		delete(found2, id)
	}
	round2.check(t, "after the second restart", found2)
	for id := range round1.deleted {
		if _, ok := found2[id]; ok {
			t.Errorf("message %s came back after the second restart; its delete was acknowledged before the first", id)
		}
	}
}

// queueLoad is what clients were told before a kill -9.
type queueLoad struct {
	enqueued map[string]string // acknowledged: message ID -> text
	deleted  map[string]bool   // acknowledged deletes
	// deletes sent but not answered when the server died: committed or
	// not, either outcome is correct, so these are not counted as lost.
	pending map[string]bool
}

// queueLoadUntilKilled runs 12 enqueueing and 4 dequeueing-and-deleting
// clients on q and kills p with SIGKILL once 300 enqueues were
// acknowledged, while the clients are still sending.
func queueLoadUntilKilled(t *testing.T, ctx context.Context, q *azqueue.QueueClient, p *process) queueLoad {
	t.Helper()
	l := queueLoad{enqueued: map[string]string{}, deleted: map[string]bool{}, pending: map[string]bool{}}
	var (
		mu    sync.Mutex
		acked atomic.Int64
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		round = fmt.Sprint(p.cmd.Process.Pid)
	)
	const writers, readers = 12, 4
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("p%s-w%d-%d", round, g, i)
				res, err := q.EnqueueMessage(ctx, text, nil)
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				l.enqueued[*res.Messages[0].MessageID] = text
				mu.Unlock()
				acked.Add(1)
			}
		}()
	}
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := q.DequeueMessage(ctx, nil)
				if err != nil {
					return
				}
				if len(res.Messages) == 0 {
					continue
				}
				m := res.Messages[0]
				mu.Lock()
				l.pending[*m.MessageID] = true
				mu.Unlock()
				if _, err := q.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil); err != nil {
					return
				}
				mu.Lock()
				delete(l.pending, *m.MessageID)
				l.deleted[*m.MessageID] = true
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for acked.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	p.kill9(t) // while the clients are still sending
	close(stop)
	wg.Wait()
	if len(l.enqueued) < 300 || len(l.deleted) == 0 {
		t.Fatalf("load before the crash too small: %d enqueued, %d deleted", len(l.enqueued), len(l.deleted))
	}
	t.Logf("%d enqueues and %d deletes acknowledged before kill -9", len(l.enqueued), len(l.deleted))
	return l
}

// drainQueue dequeues every visible message (making it invisible for an
// hour) and returns their texts by message ID.
func drainQueue(t *testing.T, ctx context.Context, q *azqueue.QueueClient) map[string]string {
	t.Helper()
	found := map[string]string{}
	for {
		res, err := q.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{
			NumberOfMessages: ptr(int32(32)), VisibilityTimeout: ptr(int32(3600))})
		if err != nil {
			t.Fatalf("dequeue after restart: %v", err)
		}
		if len(res.Messages) == 0 {
			return found
		}
		for _, m := range res.Messages {
			found[*m.MessageID] = *m.MessageText
		}
	}
}

// check compares the messages found after a restart with what the round
// acknowledged.
func (l queueLoad) check(t *testing.T, when string, found map[string]string) {
	t.Helper()
	lost := 0
	for id, text := range l.enqueued {
		if l.deleted[id] || l.pending[id] {
			continue
		}
		if got, ok := found[id]; !ok || got != text {
			lost++
			if lost <= 5 {
				t.Errorf("%s: acknowledged message %s (%q): %q, present %v", when, id, text, got, ok)
			}
		}
	}
	for id := range l.deleted {
		if _, ok := found[id]; ok {
			t.Errorf("%s: message %s came back after its delete was acknowledged", when, id)
		}
	}
	if lost > 0 {
		t.Errorf("%s: %d of %d acknowledged messages lost", when, lost, len(l.enqueued)-len(l.deleted)-len(l.pending))
	}
	t.Logf("%s: %d messages", when, len(found))
}

// grantQueueContributor makes owner grant localDev "Storage Queue Data
// Contributor" on the sandbox's storage account through ARM.
func grantQueueContributor(t *testing.T, ctx context.Context, sb sandboxInfo, rc *armauthorization.RoleAssignmentsClient) {
	t.Helper()
	account := strings.SplitN(strings.TrimPrefix(sb.QueueURL, "https://"), ".", 2)[0]
	scope := "/subscriptions/" + sb.SubscriptionID + "/resourceGroups/" + sb.ResourceGroup +
		"/providers/Microsoft.Storage/storageAccounts/" + account
	roleID := "/subscriptions/" + sb.SubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + roleStorageQueueDataContributor
	pt := armauthorization.PrincipalTypeServicePrincipal
	if _, err := rc.Create(ctx, scope, uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			PrincipalID:      ptr(sb.Principals["localDev"].ObjectID),
			RoleDefinitionID: &roleID,
			PrincipalType:    &pt,
		},
	}, nil); err != nil {
		t.Fatalf("owner assigns Storage Queue Data Contributor: %v", err)
	}
}

// queueClient is localDev's client of the sandbox's queue, through the proxy.
func queueClient(t *testing.T, sb sandboxInfo, c *http.Client) *azqueue.QueueClient {
	t.Helper()
	q, err := azqueue.NewQueueClient(sb.QueueURL, credential(t, sb, "localDev", c),
		&azqueue.ClientOptions{ClientOptions: clientOptions(c)})
	if err != nil {
		t.Fatal(err)
	}
	return q
}
