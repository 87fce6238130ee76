package world

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

// NewGUID returns a random GUID in Azure's lower-case form.
func NewGUID() string { return uuid.NewString() }

// RandomHex returns n random bytes as hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"

// NewClientSecretValue returns a value shaped like an Entra client secret:
// 40 characters, the fourth to sixth being "8Q~".
func NewClientSecretValue() string {
	b := make([]byte, 40)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = secretAlphabet[int(b[i])%len(secretAlphabet)]
	}
	copy(b[3:6], "8Q~")
	return string(b)
}

// NewApplication registers an app and creates its service principal.
func (tx *Tx) NewApplication(displayName string) *Principal {
	p := &Principal{
		ObjectID:    NewGUID(),
		Kind:        KindApplication,
		DisplayName: displayName,
		AppID:       NewGUID(),
		AppObjectID: NewGUID(),
		CreatedAt:   tx.Now,
	}
	tx.State.Principals[p.ObjectID] = p
	return p
}

// AddClientSecret adds a client secret valid for lifetime and returns its
// value: the only time the value is seen.
func (tx *Tx) AddClientSecret(p *Principal, displayName string, lifetime time.Duration) (string, *ClientSecret) {
	value := NewClientSecretValue()
	cs := &ClientSecret{
		KeyID:       NewGUID(),
		DisplayName: displayName,
		Hint:        value[:3],
		Hash:        tx.w.HashSecret(value),
		StartDate:   tx.Now,
		EndDate:     tx.Now.Add(lifetime),
	}
	p.Secrets = append(p.Secrets, cs)
	return value, cs
}

// RemoveClientSecret deletes the client secret keyID of p: from then on the
// secret fails at the token endpoint.
func (tx *Tx) RemoveClientSecret(p *Principal, keyID string) error {
	for i, cs := range p.Secrets {
		if strings.EqualFold(cs.KeyID, keyID) {
			p.Secrets = append(p.Secrets[:i:i], p.Secrets[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("world: remove client secret %s: %w", keyID, ErrNotFound)
}

// NewUser creates a user account with a password.
func (tx *Tx) NewUser(displayName, upn, password string) *Principal {
	p := &Principal{
		ObjectID:          NewGUID(),
		Kind:              KindUser,
		DisplayName:       displayName,
		UserPrincipalName: upn,
		PasswordHash:      tx.w.HashSecret(password),
		CreatedAt:         tx.Now,
	}
	tx.State.Principals[p.ObjectID] = p
	return p
}

// DeletePrincipal deletes a principal. Its role assignments stay (as in
// Azure, they show as "Identity not found") but stop matching, and its secrets
// stop working because the principal is gone.
func (tx *Tx) DeletePrincipal(objectID string) error {
	p, ok := tx.State.Principals[objectID]
	if !ok {
		return fmt.Errorf("world: delete principal %s: %w", objectID, ErrNotFound)
	}
	delete(tx.State.Principals, objectID)
	for _, s := range tx.State.Sites {
		if s.SystemIdentity == objectID {
			s.SystemIdentity = ""
		}
	}
	for k, v := range tx.State.Labels {
		if v == p.ObjectID {
			delete(tx.State.Labels, k)
		}
	}
	tx.RBACChanged()
	return nil
}

// ErrNotFound is returned when an object does not exist.
var ErrNotFound = fmt.Errorf("not found")

// NewResourceGroup creates (or returns the existing) resource group.
func (tx *Tx) NewResourceGroup(name, location string) *ResourceGroup {
	if rg, ok := tx.State.ResourceGroups[strings.ToLower(name)]; ok {
		return rg
	}
	if location == "" {
		location = tx.State.Location
	}
	rg := &ResourceGroup{Name: name, Location: location}
	tx.State.ResourceGroups[strings.ToLower(name)] = rg
	return rg
}

// NewVault creates a vault in rg, claiming its global name.
func (tx *Tx) NewVault(rg, name string, rbacModel bool) (*Vault, error) {
	if err := tx.Claim(NameVault, name); err != nil {
		return nil, err
	}
	v := &Vault{
		Name: name, ResourceGroup: rg, Location: tx.State.Location,
		EnableRbacAuthorization: rbacModel,
		SoftDeleteRetentionDays: 90,
		Secrets:                 map[string]*Secret{},
		DeletedSecrets:          map[string]*Secret{},
	}
	tx.State.Vaults[strings.ToLower(name)] = v
	return v, nil
}

// SetSecret adds a new version of a secret (creating the secret).
func (tx *Tx) SetSecret(v *Vault, name, value string) *SecretVersion {
	key := strings.ToLower(name)
	s, ok := v.Secrets[key]
	if !ok {
		s = &Secret{Name: name}
		v.Secrets[key] = s
	}
	sv := &SecretVersion{Version: RandomHex(16), Value: value, Enabled: true, Created: tx.Now, Updated: tx.Now}
	s.Versions = append(s.Versions, sv)
	return sv
}

// NewStorageAccount creates a storage account, claiming its global name.
func (tx *Tx) NewStorageAccount(rg, name string) (*StorageAccount, error) {
	if err := tx.Claim(NameStorage, name); err != nil {
		return nil, err
	}
	key := make([]byte, 64)
	_, _ = rand.Read(key)
	a := &StorageAccount{
		Name: name, ResourceGroup: rg, Location: tx.State.Location,
		AccountKey: encodeStd(key),
		Queues:     map[string]*Queue{},
	}
	tx.State.StorageAccounts[strings.ToLower(name)] = a
	return a, nil
}

// NewSite creates an App Service site ("app" or "functionapp"), claiming its
// global name.
func (tx *Tx) NewSite(rg, name, kind string) (*Site, error) {
	if err := tx.Claim(NameSite, name); err != nil {
		return nil, err
	}
	s := &Site{
		Name: name, ResourceGroup: rg, Location: tx.State.Location, Kind: kind,
		IdentityHeader: RandomHex(16),
		FunctionKeys:   map[string]string{},
		AppSettings:    map[string]string{},
	}
	tx.State.Sites[strings.ToLower(name)] = s
	return s, nil
}

// EnableSystemIdentity turns on a site's system-assigned identity: Azure
// creates a service principal that nobody holds a secret for.
func (tx *Tx) EnableSystemIdentity(s *Site) *Principal {
	if p, ok := tx.State.Principals[s.SystemIdentity]; ok {
		return p
	}
	p := &Principal{
		ObjectID:    NewGUID(),
		Kind:        KindSystemAssigned,
		DisplayName: s.Name,
		AppID:       NewGUID(),
		ResourceID:  tx.State.SiteID(s),
		CreatedAt:   tx.Now,
	}
	tx.State.Principals[p.ObjectID] = p
	s.SystemIdentity = p.ObjectID
	return p
}

// DisableSystemIdentity turns it off: the service principal is deleted.
func (tx *Tx) DisableSystemIdentity(s *Site) {
	if s.SystemIdentity == "" {
		return
	}
	_ = tx.DeletePrincipal(s.SystemIdentity)
	s.SystemIdentity = ""
}

// AddRoleAssignment adds an assignment. It counts once the sandbox's
// propagation delay has passed. An empty ID gets a new GUID.
func (tx *Tx) AddRoleAssignment(a rbac.Assignment) rbac.Assignment {
	if a.ID == "" {
		a.ID = NewGUID()
	}
	a.CreatedOn = tx.Now
	a.UpdatedOn = tx.Now
	a.EffectiveAt = tx.Now.Add(tx.State.PropagationDelay)
	if a.PrincipalType == "" {
		if p, ok := tx.State.Principals[a.PrincipalID]; ok {
			a.PrincipalType = p.Type()
		}
	}
	tx.State.RoleAssignments = append(tx.State.RoleAssignments, a)
	tx.RBACChanged()
	return a
}

// RemoveRoleAssignment deletes an assignment by ID (case-insensitive). With a
// propagation delay it keeps counting until the delay has passed.
func (tx *Tx) RemoveRoleAssignment(id string) (rbac.Assignment, bool) {
	for i, a := range tx.State.RoleAssignments {
		if !strings.EqualFold(a.ID, id) || a.RemovedAt != nil {
			continue
		}
		if tx.State.PropagationDelay > 0 {
			t := tx.Now.Add(tx.State.PropagationDelay)
			tx.State.RoleAssignments[i].RemovedAt = &t
		} else {
			tx.State.RoleAssignments = append(tx.State.RoleAssignments[:i:i], tx.State.RoleAssignments[i+1:]...)
		}
		tx.RBACChanged()
		return a, true
	}
	return rbac.Assignment{}, false
}
