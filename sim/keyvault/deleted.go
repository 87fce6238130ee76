package keyvault

import (
	"net/http"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// purged reports whether a soft-deleted secret's retention has run out on
// the sandbox clock: Key Vault purges it then, so it no longer exists.
func purged(s *world.Secret, now time.Time) bool {
	return s.ScheduledPurge != nil && !now.Before(*s.ScheduledPurge)
}

// deletedIn returns a soft-deleted secret that has not been purged, or nil.
func deletedIn(s *world.State, vault, name string, now time.Time) *world.Secret {
	v := s.Vault(vault)
	if v == nil {
		return nil
	}
	d := v.DeletedSecrets[strings.ToLower(name)]
	if d == nil || purged(d, now) {
		return nil
	}
	return d
}

func (h *handler) getDeleted(o op) {
	now := h.w.Now()
	var out deletedBundle
	var aerr *apiError
	h.w.View(func(s *world.State) {
		d := deletedIn(s, h.v.Name, o.name, now)
		if d == nil {
			aerr = deletedNotFound(o.name)
			return
		}
		out = h.v.deleted(d)
	})
	h.respond(http.StatusOK, out, aerr)
}

func (h *handler) recover(o op) {
	var out secretBundle
	err := h.w.Update(h.r.Context(), func(tx *world.Tx) error {
		d := deletedIn(tx.State, h.v.Name, o.name, tx.Now)
		if d == nil {
			return deletedNotFound(o.name)
		}
		vault := tx.State.Vault(h.v.Name)
		key := strings.ToLower(o.name)
		if vault.Secrets[key] != nil { // cannot happen: set refuses deleted names
			return &apiError{status: http.StatusConflict, code: "Conflict", message: "Secret " + d.Name + " already exists."}
		}
		d.DeletedAt, d.ScheduledPurge = nil, nil
		delete(vault.DeletedSecrets, key)
		vault.Secrets[key] = d
		out = h.v.bundle(d.Name, latest(d), false)
		return nil
	})
	h.respond(http.StatusOK, out, asAPIError(err))
}

func (h *handler) purge(o op) {
	err := h.w.Update(h.r.Context(), func(tx *world.Tx) error {
		if deletedIn(tx.State, h.v.Name, o.name, tx.Now) == nil {
			return deletedNotFound(o.name)
		}
		delete(tx.State.Vault(h.v.Name).DeletedSecrets, strings.ToLower(o.name))
		return nil
	})
	if aerr := asAPIError(err); aerr != nil {
		writeError(h.rw, aerr)
		return
	}
	h.rw.WriteHeader(http.StatusNoContent)
}
