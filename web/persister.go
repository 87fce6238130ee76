package web

import (
	"context"
	"errors"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// WorldSaver is the store's half of world.Persister.
type WorldSaver interface {
	SaveWorld(ctx context.Context, id string, state []byte) error
}

// WorldPersister is the registry's persister: it saves a world into its
// sandbox's row. A world whose row does not exist has nothing to be saved
// into, and that is not an error: while a sandbox is being created its world
// is built (and saved) before the row is inserted with the built state
// (createSandbox), and after a delete the row is gone for good.
type WorldPersister struct {
	Store WorldSaver
}

var _ world.Persister = WorldPersister{}

// SaveWorld saves state into the sandbox's row when there is one.
func (p WorldPersister) SaveWorld(ctx context.Context, id string, state []byte) error {
	err := p.Store.SaveWorld(ctx, id, state)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
