package world

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

// Clock tells the time. The real one is SystemClock; tests inject their own.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Persister stores worlds: a whole state, or one change record (queue
// messages) on top of the last state stored. Both queue the write and return
// a function that waits until it is durable. The world queues under its lock,
// so writes reach the store in the order the changes were made, and waits
// after releasing it, so concurrent requests to one world share a group
// commit. Each write carries a sequence number from the registry, increasing
// across every world: a state stored with seq S replaces the changes up to S.
type Persister interface {
	QueueWorld(id string, state []byte, seq int64) (wait func() error)
	QueueChange(id string, seq int64, change []byte) (wait func() error)
}

// ErrRetired is returned by Update on a world that was removed (deleted or
// replaced by a reset): a late request must not overwrite its successor.
var ErrRetired = errors.New("world: sandbox was removed")

// ErrNameTaken is returned when a globally unique name is already in use.
var ErrNameTaken = errors.New("name already taken")

// World is one sandbox's simulated Azure: its state behind a lock.
type World struct {
	reg *Registry

	mu      sync.RWMutex
	st      *State
	index   *rbac.Index // rebuilt when assignments or custom roles change
	retired bool        // removed from the registry: no more updates
	// changes counts change records stored since the last whole state.
	changes int
	// decisions caches Authorize's answers; every Update empties it.
	decisions decisionCache
}

// ID returns the sandbox ID.
func (w *World) ID() string { return w.st.ID }

// TenantID returns the tenant ID (immutable for a world's lifetime).
func (w *World) TenantID() string { return w.st.TenantID }

// SubscriptionID returns the subscription ID (immutable).
func (w *World) SubscriptionID() string { return w.st.SubscriptionID }

// Now is the sandbox's clock: the registry's clock plus the sandbox's offset.
func (w *World) Now() time.Time {
	w.mu.RLock()
	off := w.st.ClockOffset
	w.mu.RUnlock()
	return w.reg.clock.Now().Add(off)
}

// View runs fn with the state under a read lock. fn must not keep or modify
// the state.
func (w *World) View(fn func(s *State)) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	fn(w.st)
}

// Authorize answers an RBAC question against this world's assignments. The
// principal's existence and groups are looked up here, so a deleted service
// principal's assignments stop matching. The decision is shared: a question
// asked again gets the same *rbac.Decision, which nobody may change (the
// trace encodes it once). A decision is computed once and then
// served from a cache while it cannot change: until the next Update, and
// only once every assignment's change has taken effect (before that the
// answer depends on the clock).
func (w *World) Authorize(principalID, action string, dataAction bool, scope string) *rbac.Decision {
	now := w.Now()
	w.mu.RLock()
	defer w.mu.RUnlock()
	key := decisionKey{principalID, action, scope, dataAction}
	settled := !now.Before(w.index.SettledAt())
	if settled {
		if d := w.decisions.get(key); d != nil {
			return d
		}
	}
	d := w.index.Authorize(rbac.Request{
		Principal:  w.rbacPrincipalLocked(principalID),
		Action:     action,
		DataAction: dataAction,
		Scope:      scope,
		Now:        now,
	})
	if settled {
		w.decisions.put(key, &d)
	}
	return &d
}

type decisionKey struct {
	principal, action, scope string
	dataAction               bool
}

// decisionCache holds a world's decisions since its last Update. It is
// read and filled under the world's read lock and emptied under its write
// lock, so an answer never outlives the state it was computed from.
type decisionCache struct {
	mu sync.Mutex
	m  map[decisionKey]*rbac.Decision
}

// maxDecisions bounds the cache (per-secret scopes are unbounded).
const maxDecisions = 256

func (c *decisionCache) get(k decisionKey) *rbac.Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *decisionCache) put(k decisionKey, d *rbac.Decision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxDecisions {
		c.m = map[decisionKey]*rbac.Decision{}
	}
	c.m[k] = d
}

func (c *decisionCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

func (w *World) rbacPrincipalLocked(id string) rbac.Principal {
	p, ok := w.st.Principals[id]
	if !ok {
		return rbac.Principal{ObjectID: id, Type: "Unknown", Deleted: true}
	}
	rp := rbac.Principal{ObjectID: id, Type: p.Type(), DisplayName: p.DisplayName, AppID: p.AppID}
	for gid, g := range w.st.Principals {
		if g.Kind != KindGroup {
			continue
		}
		for _, m := range g.Members {
			if m == id {
				rp.Groups = append(rp.Groups, gid)
			}
		}
	}
	return rp
}

// Tx is a mutation in progress: the state plus the bookkeeping that must
// follow a change (global names, the RBAC index).
type Tx struct {
	w           *World
	State       *State
	Now         time.Time
	rbacChanged bool
	claimed     []nameKey
	released    []nameKey
}

// Claim reserves a globally unique name (vault, storage account, site) for
// this world. It fails with ErrNameTaken when another world holds it.
func (tx *Tx) Claim(kind NameKind, name string) error {
	k := nameKey{kind, strings.ToLower(name)}
	if err := tx.w.reg.claim(k, tx.w); err != nil {
		return err
	}
	tx.claimed = append(tx.claimed, k)
	return nil
}

// Release gives a globally unique name back (after deleting the resource).
func (tx *Tx) Release(kind NameKind, name string) {
	tx.released = append(tx.released, nameKey{kind, strings.ToLower(name)})
}

// RBACChanged must be called after changing RoleAssignments or CustomRoles
// (or deleting principals) so the index is rebuilt.
func (tx *Tx) RBACChanged() { tx.rbacChanged = true }

// Update runs fn under the write lock and, when it returns nil, persists the
// new state before returning. fn must validate before it mutates: on error the
// state is not rolled back (only names it claimed are released).
func (w *World) Update(ctx context.Context, fn func(tx *Tx) error) error {
	wait, err := w.update(fn)
	if err != nil {
		return err
	}
	return wait()
}

func (w *World) update(fn func(tx *Tx) error) (func() error, error) {
	now := w.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.retired {
		return nil, ErrRetired
	}
	tx := &Tx{w: w, State: w.st, Now: now}
	w.decisions.clear() // fn may change what a decision rests on (even when it fails)
	if err := fn(tx); err != nil {
		for _, k := range tx.claimed {
			w.reg.release(k, w)
		}
		return nil, err
	}
	for _, k := range tx.released {
		w.reg.release(k, w)
	}
	if tx.rbacChanged {
		w.index = rbac.NewIndex(w.st.RoleAssignments, w.st.CustomRoles)
	}
	return w.queueStateLocked()
}

// queueStateLocked queues the whole state; w.mu is held.
func (w *World) queueStateLocked() (func() error, error) {
	if w.reg.persist == nil {
		return noWait, nil
	}
	data, err := json.Marshal(w.st)
	if err != nil {
		return nil, fmt.Errorf("world: marshal: %w", err)
	}
	w.changes = 0
	return persistErr(w.reg.persist.QueueWorld(w.st.ID, data, w.reg.seq.Add(1))), nil
}

func noWait() error { return nil }

func persistErr(wait func() error) func() error {
	return func() error {
		if err := wait(); err != nil {
			return fmt.Errorf("world: persist: %w", err)
		}
		return nil
	}
}

// Snapshot returns the serialized state.
func (w *World) Snapshot() ([]byte, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return json.Marshal(w.st)
}

// HashSecret returns the keyed hash under which a client secret or password is
// stored. Secrets are long random strings, so a keyed hash is enough.
func (w *World) HashSecret(value string) string {
	mac := hmac.New(sha256.New, w.st.SecretKey)
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))
}

// CheckSecret reports whether value matches a stored hash, in constant time.
func (w *World) CheckSecret(value, hash string) bool {
	return hmac.Equal([]byte(w.HashSecret(value)), []byte(hash))
}

// NameKind is the namespace of a globally unique name.
type NameKind string

// Globally unique name spaces.
const (
	NameVault   NameKind = "vault"
	NameStorage NameKind = "storage"
	NameSite    NameKind = "site"
)

type nameKey struct {
	kind NameKind
	name string
}

// Registry holds every world of the process and the globally unique names.
type Registry struct {
	clock   Clock
	persist Persister
	seq     atomic.Int64 // the last persist sequence number handed out

	mu       sync.RWMutex
	byID     map[string]*World
	byTenant map[string]*World
	names    map[nameKey]*World
}

// NewRegistry returns an empty registry. persist may be nil (nothing saved).
func NewRegistry(clock Clock, persist Persister) *Registry {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Registry{
		clock:    clock,
		persist:  persist,
		byID:     map[string]*World{},
		byTenant: map[string]*World{},
		names:    map[nameKey]*World{},
	}
}

// ContinueAfter makes persist sequence numbers continue after seq (the
// highest one stored), at start-up before any update.
func (r *Registry) ContinueAfter(seq int64) {
	for {
		cur := r.seq.Load()
		if cur >= seq || r.seq.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// Clock returns the registry's base clock.
func (r *Registry) Clock() Clock { return r.clock }

// Add registers a world built from st, claiming its names. It does not
// persist; callers that create a new sandbox call Save afterwards.
func (r *Registry) Add(st *State) (*World, error) {
	normalize(st)
	w := &World{reg: r, st: st, index: rbac.NewIndex(st.RoleAssignments, st.CustomRoles)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[st.ID]; ok {
		return nil, fmt.Errorf("world: add %s: %w", st.ID, ErrNameTaken)
	}
	if _, ok := r.byTenant[strings.ToLower(st.TenantID)]; ok {
		return nil, fmt.Errorf("world: add tenant %s: %w", st.TenantID, ErrNameTaken)
	}
	var keys []nameKey
	for _, v := range st.Vaults {
		keys = append(keys, nameKey{NameVault, strings.ToLower(v.Name)})
	}
	for _, a := range st.StorageAccounts {
		keys = append(keys, nameKey{NameStorage, strings.ToLower(a.Name)})
	}
	for _, s := range st.Sites {
		keys = append(keys, nameKey{NameSite, strings.ToLower(s.Name)})
	}
	for _, k := range keys {
		if _, ok := r.names[k]; ok {
			return nil, fmt.Errorf("world: add %s %q: %w", k.kind, k.name, ErrNameTaken)
		}
	}
	for _, k := range keys {
		r.names[k] = w
	}
	r.byID[st.ID] = w
	r.byTenant[strings.ToLower(st.TenantID)] = w
	return w, nil
}

// Save persists a world's current state (used right after Add).
func (r *Registry) Save(ctx context.Context, w *World) error {
	return w.Update(ctx, func(*Tx) error { return nil })
}

// Remove forgets a world, frees its names and retires it, so a request still
// holding it cannot persist over a successor with the same ID.
func (r *Registry) Remove(id string) {
	r.mu.Lock()
	w, ok := r.byID[id]
	if ok {
		delete(r.byID, id)
		delete(r.byTenant, strings.ToLower(w.st.TenantID))
		for k, o := range r.names {
			if o == w {
				delete(r.names, k)
			}
		}
	}
	r.mu.Unlock() // before w.mu: Update holds w.mu while it claims names (r.mu)
	if ok {
		w.mu.Lock()
		w.retired = true
		w.mu.Unlock()
	}
}

// Get returns the world with the sandbox ID, or nil.
func (r *Registry) Get(id string) *World {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byID[id]
}

// ByTenant returns the world of a tenant ID, or nil. Matching is
// case-insensitive, as tenant GUIDs are.
func (r *Registry) ByTenant(tenantID string) *World {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byTenant[strings.ToLower(tenantID)]
}

// ByName returns the world that owns a globally unique name, or nil.
func (r *Registry) ByName(kind NameKind, name string) *World {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.names[nameKey{kind, strings.ToLower(name)}]
}

// BySubscription returns the world of a subscription ID, or nil.
func (r *Registry) BySubscription(sub string) *World {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, w := range r.byID {
		if strings.EqualFold(w.st.SubscriptionID, sub) {
			return w
		}
	}
	return nil
}

// SiteByIdentityHeader finds the site whose IDENTITY_HEADER value is header.
// It returns the world and the site name, or nil.
func (r *Registry) SiteByIdentityHeader(header string) (*World, string) {
	if header == "" {
		return nil, ""
	}
	r.mu.RLock()
	worlds := make([]*World, 0, len(r.byID))
	for _, w := range r.byID {
		worlds = append(worlds, w)
	}
	r.mu.RUnlock()
	for _, w := range worlds {
		var name string
		w.View(func(s *State) {
			for _, site := range s.Sites {
				if hmac.Equal([]byte(site.IdentityHeader), []byte(header)) {
					name = site.Name
				}
			}
		})
		if name != "" {
			return w, name
		}
	}
	return nil, ""
}

// All returns every world, in no particular order.
func (r *Registry) All() []*World {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*World, 0, len(r.byID))
	for _, w := range r.byID {
		out = append(out, w)
	}
	return out
}

func (r *Registry) claim(k nameKey, w *World) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.names[k]; ok && o != w {
		return fmt.Errorf("world: claim %s %q: %w", k.kind, k.name, ErrNameTaken)
	}
	r.names[k] = w
	return nil
}

func (r *Registry) release(k nameKey, w *World) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names[k] == w {
		delete(r.names, k)
	}
}

// normalize makes a decoded state safe to use: nil maps become empty.
func normalize(st *State) {
	if st.Principals == nil {
		st.Principals = map[string]*Principal{}
	}
	if st.ResourceGroups == nil {
		st.ResourceGroups = map[string]*ResourceGroup{}
	}
	if st.Vaults == nil {
		st.Vaults = map[string]*Vault{}
	}
	if st.StorageAccounts == nil {
		st.StorageAccounts = map[string]*StorageAccount{}
	}
	if st.Sites == nil {
		st.Sites = map[string]*Site{}
	}
	if st.Keychain == nil {
		st.Keychain = map[string]string{}
	}
	if st.Labels == nil {
		st.Labels = map[string]string{}
	}
	// Worlds saved before Suffix had a field of its own kept it among the
	// principals' labels.
	if sfx, ok := st.Labels["suffix"]; ok {
		if st.Suffix == "" {
			st.Suffix = sfx
		}
		delete(st.Labels, "suffix")
	}
	for _, v := range st.Vaults {
		if v.Secrets == nil {
			v.Secrets = map[string]*Secret{}
		}
		if v.DeletedSecrets == nil {
			v.DeletedSecrets = map[string]*Secret{}
		}
	}
	for _, a := range st.StorageAccounts {
		if a.Queues == nil {
			a.Queues = map[string]*Queue{}
		}
	}
}

// Load decodes a persisted state.
func Load(data []byte) (*State, error) {
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("world: load: %w", err)
	}
	normalize(&st)
	return &st, nil
}
