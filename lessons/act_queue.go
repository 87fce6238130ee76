package lessons

import (
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
)

const goNewQueueClient = `queue, err := azqueue.NewQueueClient(queueURL, credential, nil)`

const goSendMessage = `resp, err := queue.EnqueueMessage(ctx, message, nil)`

const goReceiveMessage = `resp, err := queue.DequeueMessage(ctx, nil)`

var errNoValue = errors.New("the response carried no value")

func queueActions() []*Action {
	return []*Action{
		{
			Name: "queue.newClient", Kind: BlockStep, Title: "Create the Storage QueueClient",
			Params: []Param{{Name: "queueUrl", Help: "the queue's URL", Default: "{queueUrl}"}},
			Go:     goNewQueueClient, Impl: "runNewQueueClient", File: "act_queue.go",
			Creates: ObjQueueClient, Needs: []string{ObjCredential}, run: runNewQueueClient,
		},
		{
			Name: "queue.send", Kind: BlockStep, Title: "Send a message",
			Params: []Param{{Name: "message", Help: "the message text", Default: "Hello from the sandbox"}},
			Go:     goSendMessage, Impl: "runSendMessage", File: "act_queue.go",
			Needs: []string{ObjQueueClient}, run: runSendMessage,
		},
		{
			Name: "queue.receive", Kind: BlockStep, Title: "Receive a message",
			Go: goReceiveMessage, Impl: "runReceiveMessage", File: "act_queue.go",
			Needs: []string{ObjQueueClient}, run: runReceiveMessage,
		},
	}
}

func runNewQueueClient(x *execution) (string, error) {
	credential, err := object[azcore.TokenCredential](x, ObjCredential, "create the credential")
	if err != nil {
		return "", err
	}
	queueURL := x.params["queueUrl"]
	queue, err := azqueue.NewQueueClient(queueURL, credential, &azqueue.ClientOptions{ClientOptions: x.options()})
	if err != nil {
		return "", err
	}
	x.r.objects[ObjQueueClient] = queue
	return "queue = QueueClient for " + queueURL + " (no request sent)", nil
}

func runSendMessage(x *execution) (string, error) {
	queue, err := object[*azqueue.QueueClient](x, ObjQueueClient, "create the queue client")
	if err != nil {
		return "", err
	}
	message := x.params["message"]
	resp, err := queue.EnqueueMessage(x.ctx, message, nil)
	if err != nil {
		return "", err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].MessageID == nil {
		return "", errNoValue
	}
	return "message sent, id " + *resp.Messages[0].MessageID, nil
}

func runReceiveMessage(x *execution) (string, error) {
	queue, err := object[*azqueue.QueueClient](x, ObjQueueClient, "create the queue client")
	if err != nil {
		return "", err
	}
	resp, err := queue.DequeueMessage(x.ctx, nil)
	if err != nil {
		return "", err
	}
	if len(resp.Messages) == 0 {
		return "the queue is empty", nil
	}
	m := resp.Messages[0]
	text := ""
	if m.MessageText != nil {
		text = *m.MessageText
	}
	return fmt.Sprintf("received %q", text), nil
}
