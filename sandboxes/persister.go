package sandboxes

import (
	"errors"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// WorldSaver is the store's half of world.Persister.
type WorldSaver interface {
	QueueWorld(id string, state []byte, seq int64) (wait func() error)
	QueueChange(id string, seq int64, change []byte) (wait func() error)
}

// Persister is the world registry's persister: it saves a world into its
// sandbox's row (or a change record on top of it) before the change is
// acknowledged. A world whose row does not exist has nothing to be saved
// into, and that is not an error: while a sandbox is being created its world
// is built (and saved) before the row is inserted with the built state
// (Service.Create), and after a delete the row is gone for good.
type Persister struct {
	Store WorldSaver
}

var _ world.Persister = Persister{}

// QueueWorld queues the state into the sandbox's row when there is one.
func (p Persister) QueueWorld(id string, state []byte, seq int64) func() error {
	return missingRowIsFine(p.Store.QueueWorld(id, state, seq))
}

// QueueChange queues a change record when the sandbox's row exists.
func (p Persister) QueueChange(id string, seq int64, change []byte) func() error {
	return missingRowIsFine(p.Store.QueueChange(id, seq, change))
}

func missingRowIsFine(wait func() error) func() error {
	return func() error {
		if err := wait(); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
}
