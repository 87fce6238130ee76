package queue

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Action names (Microsoft.Storage resource provider operations).
const (
	queuesPrefix   = "Microsoft.Storage/storageAccounts/queueServices/queues/"
	actQueueRead   = queuesPrefix + "read"
	actQueueWrite  = queuesPrefix + "write"
	actQueueDelete = queuesPrefix + "delete"
	actMsgRead     = queuesPrefix + "messages/read"
	actMsgWrite    = queuesPrefix + "messages/write"
	actMsgDelete   = queuesPrefix + "messages/delete"
	actMsgAdd      = queuesPrefix + "messages/add/action"
	actMsgProcess  = queuesPrefix + "messages/process/action"
)

// operation is one REST operation and the permission it needs.
//
// Message operations need data actions, per the "authorize with Microsoft
// Entra ID" table. Queue-level operations (list, create, delete, metadata)
// need queues/{read,write,delete}, which the built-in roles (Storage Queue
// Data Contributor, Storage Queue Data Reader) grant as *control-plane*
// actions; the data plane honours them as such, so they are checked with
// dataAction=false. A consequence Azure shares: Owner and Contributor
// (actions "*") can create and list queues but cannot read a message.
type operation struct {
	name    string
	control bool
	// account: the scope is the storage account (List Queues), not a queue.
	account bool
	// anyOf lists alternatives; an alternative needs all of its actions.
	anyOf [][]string
	run   func(c *call) *storageError
}

var (
	opListQueues  = operation{name: "List Queues", control: true, account: true, anyOf: [][]string{{actQueueRead}}, run: (*call).listQueues}
	opCreateQueue = operation{name: "Create Queue", control: true, anyOf: [][]string{{actQueueWrite}}, run: (*call).createQueue}
	opDeleteQueue = operation{name: "Delete Queue", control: true, anyOf: [][]string{{actQueueDelete}}, run: (*call).deleteQueue}
	opGetMetadata = operation{name: "Get Queue Metadata", control: true, anyOf: [][]string{{actQueueRead}}, run: (*call).getMetadata}
	opSetMetadata = operation{name: "Set Queue Metadata", control: true, anyOf: [][]string{{actQueueWrite}}, run: (*call).setMetadata}
	opPut         = operation{name: "Put Message", anyOf: [][]string{{actMsgAdd}, {actMsgWrite}}, run: (*call).putMessage}
	opGet         = operation{name: "Get Messages", anyOf: [][]string{{actMsgProcess}, {actMsgDelete, actMsgRead}}, run: (*call).getMessages}
	opPeek        = operation{name: "Peek Messages", anyOf: [][]string{{actMsgRead}}, run: (*call).peekMessages}
	opDelete      = operation{name: "Delete Message", anyOf: [][]string{{actMsgProcess}, {actMsgDelete}}, run: (*call).deleteMessage}
	opClear       = operation{name: "Clear Messages", anyOf: [][]string{{actMsgDelete}}, run: (*call).clearMessages}
	opUpdate      = operation{name: "Update Message", anyOf: [][]string{{actMsgWrite}}, run: (*call).updateMessage}
)

// resolve maps method, path level and comp to an operation.
func (c *call) resolve() (operation, *storageError) {
	q := c.query()
	comp := q.Get("comp")
	m := c.r.Method
	switch c.level {
	case levelService:
		if m == http.MethodGet && comp == "list" {
			return opListQueues, nil
		}
	case levelQueue:
		switch {
		case m == http.MethodPut && comp == "":
			return opCreateQueue, nil
		case m == http.MethodDelete && comp == "":
			return opDeleteQueue, nil
		case (m == http.MethodGet || m == http.MethodHead) && comp == "metadata":
			return opGetMetadata, nil
		case m == http.MethodPut && comp == "metadata":
			return opSetMetadata, nil
		}
	case levelMessages:
		switch m {
		case http.MethodPost:
			return opPut, nil
		case http.MethodGet:
			switch peek := q.Get("peekonly"); {
			case peek == "" || strings.EqualFold(peek, "false"):
				return opGet, nil
			case strings.EqualFold(peek, "true"):
				return opPeek, nil
			default:
				return operation{}, errInvalidQP("peekonly", peek, "")
			}
		case http.MethodDelete:
			return opClear, nil
		}
	case levelMessage:
		switch m {
		case http.MethodDelete:
			return opDelete, nil
		case http.MethodPut:
			return opUpdate, nil
		}
	}
	if comp != "" {
		return operation{}, errInvalidQP("comp", comp, "")
	}
	return operation{}, newError(http.StatusMethodNotAllowed, "UnsupportedHttpVerb", msgBadVerb)
}

// authorize asks RBAC for op. With alternatives, the first that is fully
// allowed wins; otherwise the decision on the first (preferred) action is
// recorded, so the suggestion names the narrowest role.
func (c *call) authorize(op operation, claims *entra.Claims) *storageError {
	var scope string
	c.w.View(func(st *world.State) {
		a := st.StorageAccount(c.account)
		switch {
		case a == nil: // deleted meanwhile: nothing can match
		case op.account:
			scope = st.StorageAccountID(a)
		default:
			scope = st.QueueScope(a, c.queue)
		}
	})
	// The decisions are shared (read only): the trace encodes each once.
	var first *rbac.Decision
	for _, alt := range op.anyOf {
		var last *rbac.Decision
		ok := true
		for _, action := range alt {
			last = c.w.Authorize(claims.OID, action, !op.control, scope)
			if first == nil {
				first = last
			}
			if !last.Allowed {
				ok = false
				break
			}
		}
		if ok {
			c.notes.Authz = last
			return nil
		}
	}
	c.notes.Authz = first
	return newError(http.StatusForbidden, "AuthorizationPermissionMismatch", msgPermission)
}
