package sandboxes

import (
	"context"
	"errors"
	"fmt"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// RealAzure provisions and removes real-mode sandboxes' resources in real
// Azure (*azure.Provisioner). A real-mode sandbox is a sandbox (ID, access
// key, owner, world for the simulated parts) whose resources also exist in
// the configured subscription.
type RealAzure interface {
	Create(ctx context.Context, id string) (azure.Sandbox, error)
	Reset(ctx context.Context, id string) (azure.Sandbox, error)
	Delete(ctx context.Context, id string) error
	Get(id string) (azure.Sandbox, bool)
	// Endpoints are the configured cloud's, for the resources' URLs.
	Endpoints() azure.Endpoints
}

// RealAvailable reports whether real-mode sandboxes can be created (real
// mode configured and its preflight passed).
func (s *Service) RealAvailable() bool { return s.real != nil }

// Azure returns a real-mode sandbox's resources, false for a simulated one.
func (s *Service) Azure(id string) (azure.Sandbox, bool) {
	if s.real == nil {
		return azure.Sandbox{}, false
	}
	return s.real.Get(id)
}

// AzureEndpoints are the configured cloud's endpoints (the zero value when
// real mode is off).
func (s *Service) AzureEndpoints() azure.Endpoints {
	if s.real == nil {
		return azure.Endpoints{}
	}
	return s.real.Endpoints()
}

// CreateInAzure creates a sandbox and starts provisioning its resources in
// real Azure (in the background: minutes on Azure; Azure shows the
// progress). A sandbox whose provisioning could not even be queued is
// deleted again.
func (s *Service) CreateInAzure(ctx context.Context, learnerID, scenarioName string) (*store.Sandbox, *world.World, error) {
	if s.real == nil {
		return nil, nil, refuse(ErrInvalid,
			"real Azure mode is not available on this server: start it with --azure-subscription, and check what its identity may do with 'sandbox azure check'")
	}
	sb, w, err := s.Create(ctx, learnerID, scenarioName)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.real.Create(ctx, sb.ID); err != nil {
		if derr := s.Delete(ctx, sb); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, nil, fmt.Errorf("sandboxes: create in Azure: %w", err)
	}
	return sb, w, nil
}
