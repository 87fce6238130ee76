package keyvault

import (
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Wire shapes of the Key Vault secrets API, in the field order Key Vault
// itself writes them (recordings of the real service).

type attributesJSON struct {
	Enabled         *bool  `json:"enabled,omitempty"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	Expires         *int64 `json:"exp,omitempty"`
	Created         int64  `json:"created,omitempty"`
	Updated         int64  `json:"updated,omitempty"`
	RecoveryLevel   string `json:"recoveryLevel,omitempty"`
	RecoverableDays int    `json:"recoverableDays,omitempty"`
}

// secretBundle is SecretBundle (get, set, update, recover).
type secretBundle struct {
	Value       *string           `json:"value,omitempty"`
	ContentType string            `json:"contentType,omitempty"`
	ID          string            `json:"id"`
	Attributes  attributesJSON    `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// secretItem is SecretItem (list, list versions).
type secretItem struct {
	ContentType string            `json:"contentType,omitempty"`
	ID          string            `json:"id"`
	Attributes  attributesJSON    `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// deletedBundle is DeletedSecretBundle / DeletedSecretItem: Key Vault never
// returns the value of a deleted secret.
type deletedBundle struct {
	RecoveryID         string            `json:"recoveryId"`
	DeletedDate        int64             `json:"deletedDate"`
	ScheduledPurgeDate int64             `json:"scheduledPurgeDate"`
	ContentType        string            `json:"contentType,omitempty"`
	ID                 string            `json:"id"`
	Attributes         attributesJSON    `json:"attributes"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// listResult is the paged list shape; nextLink is null on the last page.
type listResult[T any] struct {
	Value    []T     `json:"value"`
	NextLink *string `json:"nextLink"`
}

// setParams is the body of PUT /secrets/{name} and PATCH /secrets/{name}/{version}.
type setParams struct {
	Value       *string           `json:"value"`
	ContentType *string           `json:"contentType"`
	Attributes  *attributesIn     `json:"attributes"`
	Tags        map[string]string `json:"tags"`
}

type attributesIn struct {
	Enabled   *bool  `json:"enabled"`
	NotBefore *int64 `json:"nbf"`
	Expires   *int64 `json:"exp"`
}

// vaultInfo is what a request needs to know about its vault, copied out of
// the world under its lock.
type vaultInfo struct {
	Name          string
	Location      string
	ID            string // ARM ID
	RBAC          bool
	Policies      []world.AccessPolicy
	RetentionDays int
	TenantID      string
}

func (v vaultInfo) baseURL() string { return service.VaultURL(v.Name) }

func (v vaultInfo) secretID(name, version string) string {
	id := v.baseURL() + "/secrets/" + name
	if version != "" {
		id += "/" + version
	}
	return id
}

func (v vaultInfo) recoveryID(name string) string { return v.baseURL() + "/deletedsecrets/" + name }

// recoveryLevel follows Key Vault: 90 days is the default level, any other
// retention is "Customized".
func (v vaultInfo) recoveryLevel() (string, int) {
	days := v.RetentionDays
	if days <= 0 {
		days = 90
	}
	if days == 90 {
		return "Recoverable+Purgeable", days
	}
	return "CustomizedRecoverable+Purgeable", days
}

func (v vaultInfo) attributes(sv *world.SecretVersion) attributesJSON {
	level, days := v.recoveryLevel()
	enabled := sv.Enabled
	a := attributesJSON{
		Enabled:         &enabled,
		Created:         sv.Created.Unix(),
		Updated:         sv.Updated.Unix(),
		RecoveryLevel:   level,
		RecoverableDays: days,
	}
	a.NotBefore = unixPtr(sv.NotBefore)
	a.Expires = unixPtr(sv.Expires)
	return a
}

func (v vaultInfo) bundle(name string, sv *world.SecretVersion, withValue bool) secretBundle {
	b := secretBundle{
		ContentType: sv.ContentType,
		ID:          v.secretID(name, sv.Version),
		Attributes:  v.attributes(sv),
		Tags:        copyTags(sv.Tags),
	}
	if withValue {
		val := sv.Value
		b.Value = &val
	}
	return b
}

// item describes a secret in a list: the secret's ID without a version for
// the secrets list, with one for the versions list.
func (v vaultInfo) item(name string, sv *world.SecretVersion, withVersion bool) secretItem {
	id := v.secretID(name, "")
	if withVersion {
		id = v.secretID(name, sv.Version)
	}
	return secretItem{ContentType: sv.ContentType, ID: id, Attributes: v.attributes(sv), Tags: copyTags(sv.Tags)}
}

func (v vaultInfo) deleted(s *world.Secret) deletedBundle {
	sv := latest(s)
	d := deletedBundle{
		RecoveryID:  v.recoveryID(s.Name),
		ContentType: sv.ContentType,
		ID:          v.secretID(s.Name, sv.Version),
		Attributes:  v.attributes(sv),
		Tags:        copyTags(sv.Tags),
	}
	if s.DeletedAt != nil {
		d.DeletedDate = s.DeletedAt.Unix()
	}
	if s.ScheduledPurge != nil {
		d.ScheduledPurgeDate = s.ScheduledPurge.Unix()
	}
	return d
}

// latest is the most recently created version: Key Vault's "current"
// version, enabled or not.
func latest(s *world.Secret) *world.SecretVersion {
	if len(s.Versions) == 0 {
		return &world.SecretVersion{}
	}
	return s.Versions[len(s.Versions)-1]
}

func unixPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	u := t.Unix()
	return &u
}

func timePtr(u *int64) *time.Time {
	if u == nil {
		return nil
	}
	t := time.Unix(*u, 0).UTC()
	return &t
}

func copyTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
