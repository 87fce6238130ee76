// Package scenario builds the starting worlds of sandboxes: the walkthrough
// (the source article's resources in auth-scenario-rg) and an empty one.
package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Scenario names.
const (
	Walkthrough = "walkthrough"
	Empty       = "empty"
)

// Names lists the scenarios Build accepts.
var Names = []string{Walkthrough, Empty}

// Well-known labels of principals and keychain entries.
const (
	LabelOwner     = "owner"
	LabelLocalDev  = "localDev"
	LabelDeveloper = "developer"
	LabelMainApp   = "mainApp"
)

// Fixed names inside every sandbox.
const (
	ResourceGroup = "auth-scenario-rg"
	SecretName    = "third-party-api-key"
	QueueName     = "messages"
	FunctionName  = "RandomNumber"
	Location      = "eastus"
)

// Role definition GUIDs used by the scenarios.
const (
	RoleOwner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
)

// Known reports whether name is a scenario.
func Known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Build creates a sandbox world with the given ID from a scenario and adds it
// to reg (persisting it when reg has a persister). The scenario's secrets are
// kept in the world's keychain.
func Build(ctx context.Context, reg *world.Registry, id, name string) (*world.World, error) {
	if !Known(name) {
		return nil, fmt.Errorf("scenario: build: unknown scenario %q", name)
	}
	var w *world.World
	var err error
	for range 5 { // a suffix collision is possible but rare: try again
		sfx := world.RandomHex(3)
		st := &world.State{
			ID:             id,
			TenantID:       world.NewGUID(),
			TenantName:     "Sandbox " + sfx,
			TenantDomain:   "sandbox" + sfx + ".onmicrosoft.com",
			SubscriptionID: world.NewGUID(),
			Subscription:   "Sandbox subscription",
			Location:       Location,
			Scenario:       name,
			SecretKey:      []byte(world.RandomHex(32)),
		}
		w, err = reg.Add(st)
		if err != nil {
			continue
		}
		err = w.Update(ctx, func(tx *world.Tx) error { return populate(tx, name, sfx) })
		if err == nil {
			return w, nil
		}
		reg.Remove(id)
	}
	return nil, fmt.Errorf("scenario: build: %w", err)
}

// SecretLifetime is how long the scenario's client secrets last.
const SecretLifetime = 180 * 24 * time.Hour

func populate(tx *world.Tx, name, sfx string) error {
	st := tx.State
	st.Suffix = sfx

	owner := tx.NewApplication("sandbox-owner")
	ownerSecret, _ := tx.AddClientSecret(owner, "sandbox", SecretLifetime)
	st.Labels[LabelOwner] = owner.ObjectID
	st.Keychain[LabelOwner] = ownerSecret

	dev := tx.NewApplication("localdev-" + sfx)
	devSecret, _ := tx.AddClientSecret(dev, "laptop", SecretLifetime)
	st.Labels[LabelLocalDev] = dev.ObjectID
	st.Keychain[LabelLocalDev] = devSecret

	password := world.NewClientSecretValue()
	user := tx.NewUser("Dev Eloper", "developer@"+st.TenantDomain, password)
	st.Labels[LabelDeveloper] = user.ObjectID
	st.Keychain[LabelDeveloper] = password

	// The owner plays the learner's admin account; the developer user is an
	// Owner too (the "run as yourself" case). localDev has no role: granting
	// it is what the lessons teach.
	for _, p := range []*world.Principal{owner, user} {
		tx.AddRoleAssignment(rbac.Assignment{
			Scope:            st.SubscriptionScope(),
			RoleDefinitionID: RoleOwner,
			PrincipalID:      p.ObjectID,
			PrincipalType:    p.Type(),
		})
	}
	if name == Empty {
		return nil
	}

	names := resourcesFor(sfx)
	tx.NewResourceGroup(ResourceGroup, Location)
	vault, err := tx.NewVault(ResourceGroup, names.Vault, true)
	if err != nil {
		return err
	}
	acct, err := tx.NewStorageAccount(ResourceGroup, names.StorageAccount)
	if err != nil {
		return err
	}
	acct.Queues[QueueName] = &world.Queue{Name: QueueName}
	api, err := tx.NewSite(ResourceGroup, names.ThirdPartySite, "functionapp")
	if err != nil {
		return err
	}
	apiKey := world.RandomHex(20)
	api.FunctionKeys["default"] = apiKey
	tx.SetSecret(vault, SecretName, apiKey)

	main, err := tx.NewSite(ResourceGroup, names.MainSite, "app")
	if err != nil {
		return err
	}
	mi := tx.EnableSystemIdentity(main)
	st.Labels[LabelMainApp] = mi.ObjectID
	for _, s := range names.AppSettings() {
		main.AppSettings[s.Name] = s.Value
	}
	return nil
}
