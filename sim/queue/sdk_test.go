package queue

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2/queueerror"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func statusOf(t *testing.T, err error) (int, string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a ResponseError", err)
	}
	return re.StatusCode, re.ErrorCode
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.grant(rbac.RoleStorageQueueDataContributor)
	ctx := context.Background()
	qc := f.queueClient(scenario.QueueName)

	if _, err := qc.EnqueueMessage(ctx, "first <&> message", nil); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	if _, err := qc.EnqueueMessage(ctx, "second", nil); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	props, err := qc.GetProperties(ctx, nil)
	if err != nil || props.ApproximateMessagesCount == nil || *props.ApproximateMessagesCount != 2 {
		t.Fatalf("properties: %v %+v", err, props)
	}

	peek, err := qc.PeekMessages(ctx, &azqueue.PeekMessagesOptions{NumberOfMessages: ptr(int32(5))})
	if err != nil || len(peek.Messages) != 2 {
		t.Fatalf("peek: %v %d", err, len(peek.Messages))
	}
	if *peek.Messages[0].MessageText != "first <&> message" || *peek.Messages[0].DequeueCount != 0 {
		t.Fatalf("peeked %q count %d", *peek.Messages[0].MessageText, *peek.Messages[0].DequeueCount)
	}

	deq, err := qc.DequeueMessage(ctx, nil)
	if err != nil || len(deq.Messages) != 1 {
		t.Fatalf("dequeue: %v", err)
	}
	m := deq.Messages[0]
	if *m.MessageText != "first <&> message" || *m.DequeueCount != 1 || *m.PopReceipt == "" {
		t.Fatalf("dequeued %+v", m)
	}
	if !m.TimeNextVisible.After(*m.InsertionTime) {
		t.Errorf("TimeNextVisible %v not after insertion %v", m.TimeNextVisible, m.InsertionTime)
	}
	// The dequeued message is invisible: the next dequeue gets the second.
	deq2, err := qc.DequeueMessage(ctx, nil)
	if err != nil || len(deq2.Messages) != 1 || *deq2.Messages[0].MessageText != "second" {
		t.Fatalf("second dequeue: %v", err)
	}

	upd, err := qc.UpdateMessage(ctx, *m.MessageID, *m.PopReceipt, "updated", &azqueue.UpdateMessageOptions{VisibilityTimeout: ptr(int32(0))})
	if err != nil || upd.PopReceipt == nil || *upd.PopReceipt == *m.PopReceipt || upd.TimeNextVisible == nil {
		t.Fatalf("update: %v %+v", err, upd)
	}

	// The old receipt no longer matches.
	_, err = qc.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil)
	if code, ec := statusOf(t, err); code != http.StatusBadRequest || ec != "PopReceiptMismatch" {
		t.Fatalf("delete with stale receipt: %d %s", code, ec)
	}
	// Visible again after the update with timeout 0, with its new text.
	peek, err = qc.PeekMessage(ctx, nil)
	if err != nil || len(peek.Messages) != 1 || *peek.Messages[0].MessageText != "updated" {
		t.Fatalf("peek after update: %v", err)
	}
	if _, err := qc.DeleteMessage(ctx, *m.MessageID, *upd.PopReceipt, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = qc.DeleteMessage(ctx, *m.MessageID, *upd.PopReceipt, nil)
	if !queueerror.HasCode(err, queueerror.MessageNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := qc.ClearMessages(ctx, nil); err != nil {
		t.Fatalf("clear: %v", err)
	}
	props, err = qc.GetProperties(ctx, nil)
	if err != nil || *props.ApproximateMessagesCount != 0 {
		t.Fatalf("count after clear: %v", err)
	}
	if n := f.notes(); n == nil || n.SandboxID != "sbx1" || n.Authn == nil || !n.Authn.OK || n.Authz == nil || !n.Authz.Allowed {
		t.Fatalf("notes: %+v", n)
	}
}

func TestQueuesLifecycle(t *testing.T) {
	f := newFixture(t)
	f.grant(rbac.RoleStorageQueueDataContributor)
	ctx := context.Background()
	sc := f.serviceClient()
	md := map[string]*string{"owner": ptr("lesson3")}
	for _, name := range []string{"orders-a", "orders-b", "orders-c", "other"} {
		resp, err := sc.CreateQueue(ctx, name, &azqueue.CreateOptions{Metadata: md})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if resp.RequestID == nil || resp.Date == nil || resp.Version == nil {
			t.Fatalf("create headers: %+v", resp)
		}
	}
	// Same metadata: 204 (no error); different: 409.
	if _, err := sc.CreateQueue(ctx, "orders-a", &azqueue.CreateOptions{Metadata: md}); err != nil {
		t.Fatalf("re-create: %v", err)
	}
	_, err := sc.CreateQueue(ctx, "orders-a", nil)
	if code, ec := statusOf(t, err); code != http.StatusConflict || ec != "QueueAlreadyExists" {
		t.Fatalf("conflicting create: %d %s", code, ec)
	}

	var names []string
	pages := 0
	pager := sc.NewListQueuesPager(&azqueue.ListQueuesOptions{Prefix: ptr("orders-"), MaxResults: ptr(int32(2)), Include: azqueue.ListQueuesInclude{Metadata: true}})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		pages++
		for _, q := range page.Queues {
			names = append(names, *q.Name)
			if q.Metadata["owner"] == nil || *q.Metadata["owner"] != "lesson3" {
				t.Errorf("metadata of %s: %v", *q.Name, q.Metadata)
			}
		}
	}
	if pages != 2 || len(names) != 3 || names[0] != "orders-a" || names[2] != "orders-c" {
		t.Fatalf("listed %v in %d pages", names, pages)
	}

	qc := sc.NewQueueClient("orders-b")
	if _, err := qc.SetMetadata(ctx, &azqueue.SetMetadataOptions{Metadata: map[string]*string{"stage": ptr("two")}}); err != nil {
		t.Fatalf("set metadata: %v", err)
	}
	props, err := qc.GetProperties(ctx, nil)
	// Go's HTTP client canonicalizes response header names, so the SDK
	// reports "Stage" (it does the same against real Azure).
	if err != nil || len(props.Metadata) != 1 || props.Metadata["Stage"] == nil || *props.Metadata["Stage"] != "two" {
		t.Fatalf("get metadata: %v %v", err, props.Metadata)
	}
	if _, err := sc.DeleteQueue(ctx, "orders-b", nil); err != nil {
		t.Fatalf("delete queue: %v", err)
	}
	_, err = qc.GetProperties(ctx, nil)
	if code, ec := statusOf(t, err); code != http.StatusNotFound || ec != "QueueNotFound" {
		t.Fatalf("after delete: %d %s", code, ec)
	}
}

func TestRBAC(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	qc := f.queueClient(scenario.QueueName)

	_, err := qc.EnqueueMessage(ctx, "hello", nil)
	if code, ec := statusOf(t, err); code != http.StatusForbidden || ec != "AuthorizationPermissionMismatch" {
		t.Fatalf("without a role: %d %s", code, ec)
	}
	n := f.notes()
	if n.Authn == nil || !n.Authn.OK || n.Authz == nil || n.Authz.Allowed ||
		n.Authz.Action != actMsgAdd || !n.Authz.DataAction {
		t.Fatalf("denial notes: authn %+v authz %+v", n.Authn, n.Authz)
	}

	f.grant(rbac.RoleStorageQueueMessageSender)
	resp, err := qc.EnqueueMessage(ctx, "hello", nil)
	if err != nil || len(resp.Messages) != 1 {
		t.Fatalf("as Sender: %v", err)
	}
	if d := f.notes().Authz; d == nil || !d.Allowed || d.Action != actMsgAdd {
		t.Fatalf("sender decision: %+v", d)
	}
	_, err = qc.DequeueMessage(ctx, nil)
	if code, ec := statusOf(t, err); code != http.StatusForbidden || ec != "AuthorizationPermissionMismatch" {
		t.Fatalf("Sender dequeues: %d %s", code, ec)
	}
	if d := f.notes().Authz; d == nil || d.Action != actMsgProcess {
		t.Fatalf("dequeue denial should name process/action: %+v", d)
	}

	f.grant(rbac.RoleStorageQueueMessageProcessor)
	deq, err := qc.DequeueMessage(ctx, nil)
	if err != nil || len(deq.Messages) != 1 || *deq.Messages[0].MessageText != "hello" {
		t.Fatalf("as Processor: %v", err)
	}
	if _, err := qc.DeleteMessage(ctx, *deq.Messages[0].MessageID, *deq.Messages[0].PopReceipt, nil); err != nil {
		t.Fatalf("Processor deletes: %v", err)
	}
	// Clear needs messages/delete, which the Processor lacks.
	_, err = qc.ClearMessages(ctx, nil)
	if code, _ := statusOf(t, err); code != http.StatusForbidden {
		t.Fatalf("Processor clears: %d", code)
	}
}

func TestVisibilityAndTTL(t *testing.T) {
	f := newFixture(t)
	f.grant(rbac.RoleStorageQueueDataContributor)
	ctx := context.Background()
	qc := f.queueClient(scenario.QueueName)

	if _, err := qc.EnqueueMessage(ctx, "later", &azqueue.EnqueueMessageOptions{VisibilityTimeout: ptr(int32(60))}); err != nil {
		t.Fatal(err)
	}
	peek, _ := qc.PeekMessages(ctx, nil)
	if len(peek.Messages) != 0 {
		t.Fatalf("initially invisible message was peeked")
	}
	f.advance(61 * time.Second)
	deq, err := qc.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{VisibilityTimeout: ptr(int32(30))})
	if err != nil || len(deq.Messages) != 1 {
		t.Fatalf("after 61s: %v %d", err, len(deq.Messages))
	}
	again, _ := qc.DequeueMessage(ctx, nil)
	if len(again.Messages) != 0 {
		t.Fatalf("message visible during its visibility timeout")
	}
	f.advance(31 * time.Second)
	again, err = qc.DequeueMessage(ctx, nil)
	if err != nil || len(again.Messages) != 1 || *again.Messages[0].DequeueCount != 2 {
		t.Fatalf("after the timeout: %v %+v", err, again.Messages)
	}
	if _, err := qc.ClearMessages(ctx, nil); err != nil {
		t.Fatal(err)
	}

	short, err := qc.EnqueueMessage(ctx, "short-lived", &azqueue.EnqueueMessageOptions{TimeToLive: ptr(int32(120))})
	if err != nil {
		t.Fatal(err)
	}
	if got := short.Messages[0].ExpirationTime.Sub(*short.Messages[0].InsertionTime); got != 120*time.Second {
		t.Fatalf("ttl = %v", got)
	}
	forever, err := qc.EnqueueMessage(ctx, "forever", &azqueue.EnqueueMessageOptions{TimeToLive: ptr(int32(-1))})
	if err != nil || forever.Messages[0].ExpirationTime.Year() != 9999 {
		t.Fatalf("ttl -1: %v %v", err, forever.Messages[0].ExpirationTime)
	}
	f.advance(121 * time.Second)
	peek, err = qc.PeekMessages(ctx, &azqueue.PeekMessagesOptions{NumberOfMessages: ptr(int32(32))})
	if err != nil || len(peek.Messages) != 1 || *peek.Messages[0].MessageText != "forever" {
		t.Fatalf("after expiry: %v %d", err, len(peek.Messages))
	}
	props, _ := qc.GetProperties(ctx, nil)
	if *props.ApproximateMessagesCount != 1 {
		t.Fatalf("count = %d", *props.ApproximateMessagesCount)
	}
}

func TestSharedKeyConnectionString(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var key string
	f.w.View(func(st *world.State) { key = st.StorageAccount(f.account).AccountKey })
	cs := "DefaultEndpointsProtocol=https;AccountName=" + f.account + ";AccountKey=" + key + ";EndpointSuffix=core.windows.net"
	qc, err := azqueue.NewQueueClientFromConnectionString(cs, scenario.QueueName, &azqueue.ClientOptions{ClientOptions: f.clientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	// No role assignment at all: the key is all-powerful.
	if _, err := qc.EnqueueMessage(ctx, "keyed", nil); err != nil {
		t.Fatalf("enqueue with key: %v", err)
	}
	deq, err := qc.DequeueMessage(ctx, nil)
	if err != nil || len(deq.Messages) != 1 {
		t.Fatalf("dequeue with key: %v", err)
	}
	n := f.notes()
	if n.Authn == nil || !n.Authn.OK || n.Authn.Subject != "SharedKey account="+f.account || n.Authz != nil {
		t.Fatalf("notes: authn %+v authz %+v", n.Authn, n.Authz)
	}
	if _, err := qc.DeleteMessage(ctx, *deq.Messages[0].MessageID, *deq.Messages[0].PopReceipt, nil); err != nil {
		t.Fatalf("delete with key: %v", err)
	}

	wrong := "DefaultEndpointsProtocol=https;AccountName=" + f.account + ";AccountKey=" + "AAAA" + key[4:] + ";EndpointSuffix=core.windows.net"
	bad, _ := azqueue.NewQueueClientFromConnectionString(wrong, scenario.QueueName, &azqueue.ClientOptions{ClientOptions: f.clientOptions()})
	_, err = bad.EnqueueMessage(ctx, "x", nil)
	if code, ec := statusOf(t, err); code != http.StatusForbidden || ec != "AuthenticationFailed" {
		t.Fatalf("wrong key: %d %s", code, ec)
	}
}
