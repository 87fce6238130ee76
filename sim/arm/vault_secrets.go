package arm

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const actVaultSecretWrite = "Microsoft.KeyVault/vaults/secrets/write"

// Key Vault secret names: 1-127 letters, digits and dashes.
var secretName = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

type secretBody struct {
	Properties *struct {
		Value       *string `json:"value"`
		ContentType string  `json:"contentType"`
	} `json:"properties"`
}

type secretAttributes struct {
	Enabled bool  `json:"enabled"`
	Created int64 `json:"created"`
	Updated int64 `json:"updated"`
}

type secretJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Location   string `json:"location"`
	Properties struct {
		ContentType          string           `json:"contentType,omitempty"`
		Attributes           secretAttributes `json:"attributes"`
		SecretURI            string           `json:"secretUri"`
		SecretURIWithVersion string           `json:"secretUriWithVersion"`
	} `json:"properties"`
}

// putVaultSecret sets a secret through ARM, as templates and the portal's
// deployments do: a control-plane write (Microsoft.KeyVault/vaults/secrets/
// write, which Contributor holds) that needs no data-plane role, even on an
// RBAC vault. The value is never sent back. 201 for a new secret, 200 for a
// new version of an existing one.
func (s *Service) putVaultSecret(req *request) *armError {
	var body secretBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if body.Properties == nil || body.Properties.Value == nil {
		return errorf(http.StatusBadRequest, "BadRequest", "The parameter properties.value is required.")
	}
	if !secretName.MatchString(req.rt.child) {
		return errorf(http.StatusBadRequest, "BadRequest", "The secret name '"+req.rt.child+
			"' is invalid. A secret name must be a 1-127 character string, starting with a letter and containing only 0-9, a-z, A-Z, and -.")
	}
	if e := req.c.authorize(req.r, actVaultSecretWrite, vaultScope(req)+"/secrets/"+req.rt.child, req.rt.path); e != nil {
		return e
	}
	var out secretJSON
	status := http.StatusOK
	if e := update(req, func(tx *world.Tx) error {
		v, e := findVault(tx.State, req.rt.rg, req.rt.name)
		if e != nil {
			return e
		}
		key := strings.ToLower(req.rt.child)
		if v.DeletedSecrets[key] != nil {
			return errorf(http.StatusConflict, "Conflict", "Secret "+req.rt.child+" is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.")
		}
		if v.Secrets[key] == nil {
			status = http.StatusCreated
		}
		sv := tx.SetSecret(v, req.rt.child, *body.Properties.Value)
		sv.ContentType = body.Properties.ContentType
		uri := service.VaultURL(v.Name) + "/secrets/" + v.Secrets[key].Name
		out.ID = tx.State.VaultID(v) + "/secrets/" + v.Secrets[key].Name
		out.Name, out.Type, out.Location = v.Secrets[key].Name, "Microsoft.KeyVault/vaults/secrets", v.Location
		out.Properties.ContentType = sv.ContentType
		out.Properties.Attributes = secretAttributes{Enabled: true, Created: sv.Created.Unix(), Updated: sv.Updated.Unix()}
		out.Properties.SecretURI, out.Properties.SecretURIWithVersion = uri, uri+"/"+sv.Version
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, status, out)
	return nil
}
