package sandboxes

import (
	"context"
	"fmt"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Simulated is the simulated cloud as a sandbox's Cloud: worlds in a
// registry (the one sim.Cloud serves), built from the scenarios.
type Simulated struct {
	reg *world.Registry
}

var _ Cloud = (*Simulated)(nil)

// NewSimulated returns the simulated cloud over reg (whose persister should
// be a Persister over the service's store).
func NewSimulated(reg *world.Registry) *Simulated { return &Simulated{reg: reg} }

// Provision builds the scenario's world in the registry, claiming its
// globally unique names.
func (c *Simulated) Provision(ctx context.Context, id, name string) (*world.World, error) {
	return scenario.Build(ctx, c.reg, id, name)
}

// Restore loads sandbox id's saved world, its change records applied, into
// the registry.
func (c *Simulated) Restore(id string, saved Saved) (*world.World, error) {
	w, err := c.reg.Restore(saved.State, saved.Changes, saved.Seq)
	if err != nil {
		return nil, err
	}
	if w.ID() != id {
		c.reg.Remove(w.ID())
		return nil, fmt.Errorf("world of sandbox %q says it is %q", id, w.ID())
	}
	return w, nil
}

// World returns the sandbox's world.
func (c *Simulated) World(id string) *world.World { return c.reg.Get(id) }

// Teardown removes the world from the registry, retiring it.
func (c *Simulated) Teardown(_ context.Context, id string) error {
	c.reg.Remove(id)
	return nil
}
