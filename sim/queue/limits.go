package queue

import (
	"fmt"
	"net/http"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// check refuses adding addMsgs messages and addBytes bytes of text to qu
// when the queue or the sandbox would go over its limits.
func (l Limits) check(st *world.State, qu *world.Queue, addBytes, addMsgs int) *storageError {
	if addBytes <= 0 && addMsgs <= 0 {
		return nil
	}
	// One pass over the sandbox's queues gives both the queue's usage and
	// the sandbox's.
	qMsgs, qBytes, sMsgs, sBytes := 0, 0, 0, 0
	for _, a := range st.StorageAccounts {
		for _, q := range a.Queues {
			m, b := usage(q)
			if q == qu {
				qMsgs, qBytes = m, b
			}
			sMsgs, sBytes = sMsgs+m, sBytes+b
		}
	}
	if qMsgs+addMsgs > l.MessagesPerQueue || qBytes+addBytes > l.BytesPerQueue {
		return errQuota(fmt.Sprintf("The queue holds %d messages (%d bytes of text); this sandbox allows at most %d messages and %d bytes per queue. Delete or clear messages first.",
			qMsgs, qBytes, l.MessagesPerQueue, l.BytesPerQueue))
	}
	if sMsgs+addMsgs > l.MessagesPerSandbox || sBytes+addBytes > l.BytesPerSandbox {
		return errQuota(fmt.Sprintf("The sandbox's queues hold %d messages (%d bytes of text); it allows at most %d messages and %d bytes in all. Delete or clear messages first.",
			sMsgs, sBytes, l.MessagesPerSandbox, l.BytesPerSandbox))
	}
	return nil
}

func usage(q *world.Queue) (msgs, bytes int) {
	for _, m := range q.Messages {
		msgs++
		bytes += len(m.Text)
	}
	return msgs, bytes
}

// errQuota is the sandbox's queue-size refusal. Azure has no such limit
// below an account's capacity; 409 with a storage-style code is the most
// plausible shape (a conflict with the queue's state, not retryable as is,
// which a 503 ServerBusy would invite).
func errQuota(msg string) *storageError {
	return newError(http.StatusConflict, "QueueQuotaExceeded", msg)
}
