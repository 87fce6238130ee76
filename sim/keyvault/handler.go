package keyvault

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// handler runs one authorized operation against the vault's world.
type handler struct {
	w  *world.World
	v  vaultInfo
	r  *http.Request
	rw http.ResponseWriter
}

func (h *handler) serve(o op, p *setParams) {
	switch o.kind {
	case opGet:
		h.get(o)
	case opSet:
		h.set(o, p)
	case opUpdate:
		h.update(o, p)
	case opDelete:
		h.delete(o)
	case opList:
		h.list()
	case opVersions:
		h.versions(o)
	case opListDeleted:
		h.listDeleted()
	case opGetDeleted:
		h.getDeleted(o)
	case opRecover:
		h.recover(o)
	case opPurge:
		h.purge(o)
	}
}

func secretNotFound(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "SecretNotFound",
		message: "A secret with (name/id) " + sanitize(id) + " was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}
}

func deletedNotFound(name string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "SecretNotFound", message: "Deleted Secret not found: " + sanitize(name)}
}

// findVersion returns the named version (case-insensitive) or the latest.
func findVersion(s *world.Secret, version string) *world.SecretVersion {
	if len(s.Versions) == 0 {
		return nil
	}
	if version == "" {
		return latest(s)
	}
	for _, sv := range s.Versions {
		if strings.EqualFold(sv.Version, version) {
			return sv
		}
	}
	return nil
}

func notFoundID(o op) string {
	if o.version != "" {
		return o.name + "/" + o.version
	}
	return o.name
}

func (h *handler) get(o op) {
	var out secretBundle
	var aerr *apiError
	h.w.View(func(s *world.State) {
		sec := secretIn(s, h.v.Name, o.name)
		if sec == nil {
			aerr = secretNotFound(notFoundID(o))
			return
		}
		sv := findVersion(sec, o.version)
		switch {
		case sv == nil:
			aerr = secretNotFound(notFoundID(o))
		case !sv.Enabled:
			// Expired and not-yet-valid secrets are still returned (Key Vault
			// documents this); only disabled ones are refused.
			aerr = &apiError{status: http.StatusForbidden, code: "Forbidden", inner: "SecretDisabled",
				message: "Operation get is not allowed on a disabled secret."}
		default:
			out = h.v.bundle(sec.Name, sv, true)
		}
	})
	h.respond(http.StatusOK, out, aerr)
}

func (h *handler) set(o op, p *setParams) {
	var out secretBundle
	err := h.w.Update(h.r.Context(), func(tx *world.Tx) error {
		vault := tx.State.Vault(h.v.Name)
		if vault == nil {
			return secretNotFound(o.name)
		}
		key := strings.ToLower(o.name)
		if d := vault.DeletedSecrets[key]; d != nil {
			if !purged(d, tx.Now) {
				return &apiError{status: http.StatusConflict, code: "Conflict",
					message: "Secret " + d.Name + " is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."}
			}
			delete(vault.DeletedSecrets, key)
		}
		sv := tx.SetSecret(vault, o.name, *p.Value)
		applyParams(sv, p)
		out = h.v.bundle(vault.Secrets[key].Name, sv, true)
		return nil
	})
	h.respond(http.StatusOK, out, asAPIError(err))
}

func (h *handler) update(o op, p *setParams) {
	var out secretBundle
	err := h.w.Update(h.r.Context(), func(tx *world.Tx) error {
		vault := tx.State.Vault(h.v.Name)
		if vault == nil {
			return secretNotFound(notFoundID(o))
		}
		sec := vault.Secrets[strings.ToLower(o.name)]
		if sec == nil {
			return secretNotFound(notFoundID(o))
		}
		sv := findVersion(sec, o.version)
		if sv == nil {
			return secretNotFound(notFoundID(o))
		}
		applyParams(sv, p)
		sv.Updated = tx.Now
		out = h.v.bundle(sec.Name, sv, false)
		return nil
	})
	h.respond(http.StatusOK, out, asAPIError(err))
}

// applyParams copies the optional parts of a set/update body onto a version.
func applyParams(sv *world.SecretVersion, p *setParams) {
	if p.ContentType != nil {
		sv.ContentType = *p.ContentType
	}
	if a := p.Attributes; a != nil {
		if a.Enabled != nil {
			sv.Enabled = *a.Enabled
		}
		if a.NotBefore != nil {
			sv.NotBefore = timePtr(a.NotBefore)
		}
		if a.Expires != nil {
			sv.Expires = timePtr(a.Expires)
		}
	}
	if p.Tags != nil {
		sv.Tags = copyTags(p.Tags)
	}
}

func (h *handler) delete(o op) {
	var out deletedBundle
	err := h.w.Update(h.r.Context(), func(tx *world.Tx) error {
		vault := tx.State.Vault(h.v.Name)
		if vault == nil {
			return secretNotFound(o.name)
		}
		key := strings.ToLower(o.name)
		sec := vault.Secrets[key]
		if sec == nil {
			return secretNotFound(o.name)
		}
		_, days := h.v.recoveryLevel()
		deleted, purge := tx.Now, tx.Now.Add(time.Duration(days)*24*time.Hour)
		sec.DeletedAt, sec.ScheduledPurge = &deleted, &purge
		delete(vault.Secrets, key)
		vault.DeletedSecrets[key] = sec
		out = h.v.deleted(sec)
		return nil
	})
	h.respond(http.StatusOK, out, asAPIError(err))
}

// respond writes v, or the error when there is one.
func (h *handler) respond(status int, v any, aerr *apiError) {
	if aerr != nil {
		writeError(h.rw, aerr)
		return
	}
	writeJSON(h.rw, status, v)
}

// asAPIError maps an Update error: our own 4xx, or a failure to persist,
// which is the one server-side error this service can have.
func asAPIError(err error) *apiError {
	if err == nil {
		return nil
	}
	var aerr *apiError
	if errors.As(err, &aerr) {
		return aerr
	}
	if errors.Is(err, world.ErrRetired) { // the sandbox was deleted or reset under the request
		return &apiError{status: http.StatusNotFound, code: "VaultNotFound", message: "The vault no longer exists."}
	}
	return &apiError{status: http.StatusInternalServerError, code: "InternalServerError",
		message: "The change could not be saved. Try again."}
}

// secretIn returns a live secret of a vault, or nil.
func secretIn(s *world.State, vault, name string) *world.Secret {
	v := s.Vault(vault)
	if v == nil {
		return nil
	}
	return v.Secrets[strings.ToLower(name)]
}
