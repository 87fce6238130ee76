package arm

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const (
	actVaultRead   = "Microsoft.KeyVault/vaults/read"
	actVaultWrite  = "Microsoft.KeyVault/vaults/write"
	actVaultPolicy = "Microsoft.KeyVault/vaults/accessPolicies/write"
	actVaultDelete = "Microsoft.KeyVault/vaults/delete"
)

type vaultSku struct {
	Family string `json:"family"`
	Name   string `json:"name"`
}

type vaultProps struct {
	Sku                          vaultSku             `json:"sku"`
	TenantID                     string               `json:"tenantId"`
	AccessPolicies               []world.AccessPolicy `json:"accessPolicies"`
	EnabledForDeployment         bool                 `json:"enabledForDeployment"`
	EnabledForDiskEncryption     bool                 `json:"enabledForDiskEncryption"`
	EnabledForTemplateDeployment bool                 `json:"enabledForTemplateDeployment"`
	EnableSoftDelete             bool                 `json:"enableSoftDelete"`
	SoftDeleteRetentionInDays    int                  `json:"softDeleteRetentionInDays"`
	EnableRbacAuthorization      bool                 `json:"enableRbacAuthorization"`
	VaultURI                     string               `json:"vaultUri"`
	ProvisioningState            string               `json:"provisioningState"`
	PublicNetworkAccess          string               `json:"publicNetworkAccess"`
}

type vaultJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties vaultProps        `json:"properties"`
}

// policiesView returns policies with empty lists as [] (ARM never sends null).
func policiesView(ps []world.AccessPolicy) []world.AccessPolicy {
	out := make([]world.AccessPolicy, 0, len(ps))
	for _, p := range ps {
		p.Permissions.Keys = nonNil(p.Permissions.Keys)
		p.Permissions.Secrets = nonNil(p.Permissions.Secrets)
		p.Permissions.Certificates = nonNil(p.Permissions.Certificates)
		out = append(out, p)
	}
	return out
}

func vaultView(st *world.State, v *world.Vault) vaultJSON {
	return vaultJSON{
		ID: st.VaultID(v), Name: v.Name, Type: "Microsoft.KeyVault/vaults", Location: v.Location, Tags: map[string]string{},
		Properties: vaultProps{
			Sku: vaultSku{Family: "A", Name: "standard"}, TenantID: st.TenantID,
			AccessPolicies: policiesView(v.AccessPolicies), EnableSoftDelete: true,
			SoftDeleteRetentionInDays: v.SoftDeleteRetentionDays, EnableRbacAuthorization: v.EnableRbacAuthorization,
			VaultURI: service.VaultURL(v.Name) + "/", ProvisioningState: "Succeeded", PublicNetworkAccess: "Enabled",
		},
	}
}

func vaultScope(req *request) string {
	return rgScope(req) + "/providers/Microsoft.KeyVault/vaults/" + req.rt.name
}

// findVault returns ARM's 404s when the group or vault is missing.
func findVault(st *world.State, rg, name string) (*world.Vault, *armError) {
	if e := needRG(st, rg); e != nil {
		return nil, e
	}
	v := st.Vault(name)
	if v == nil || !strings.EqualFold(v.ResourceGroup, rg) {
		return nil, errResourceNotFound("Microsoft.KeyVault/vaults", name, rg)
	}
	return v, nil
}

func (s *Service) getVault(req *request) *armError {
	return getResource(req, actVaultRead, vaultScope(req), func(st *world.State) (vaultJSON, *armError) {
		v, e := findVault(st, req.rt.rg, req.rt.name)
		if e != nil {
			return vaultJSON{}, e
		}
		return vaultView(st, v), nil
	})
}

type vaultBody struct {
	Location   string `json:"location"`
	Properties *struct {
		EnableRbacAuthorization   *bool                 `json:"enableRbacAuthorization"`
		AccessPolicies            *[]world.AccessPolicy `json:"accessPolicies"`
		SoftDeleteRetentionInDays *int                  `json:"softDeleteRetentionInDays"`
	} `json:"properties"`
}

func (s *Service) patchVault(req *request) *armError { return s.writeVault(req, true) }

func (s *Service) putVault(req *request) *armError { return s.writeVault(req, false) }

// writeVault updates a vault (PATCH: the given properties; PUT: the whole
// permission model) or, for PUT, creates it.
func (s *Service) writeVault(req *request, patch bool) *armError {
	var body vaultBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if !patch && body.Properties == nil {
		return errorf(http.StatusBadRequest, "BadRequest", "The parameter properties is required.")
	}
	if body.Properties != nil && body.Properties.AccessPolicies != nil {
		if e := validatePolicies(*body.Properties.AccessPolicies); e != nil {
			return e
		}
	}
	if e := req.c.authorize(req.r, actVaultWrite, vaultScope(req), req.rt.path); e != nil {
		return e
	}
	var out vaultJSON
	status := http.StatusOK
	if e := update(req, func(tx *world.Tx) error {
		v, e := findVault(tx.State, req.rt.rg, req.rt.name)
		if e != nil && (patch || e.code == "ResourceGroupNotFound") {
			return e
		}
		if v == nil && !vaultName.MatchString(req.rt.name) {
			return errorf(http.StatusBadRequest, "VaultNameNotValid", "The vault name '"+req.rt.name+
				"' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742")
		}
		if v == nil {
			// A new vault: RBAC is the default only from api-version 2026-02-01.
			rbacModel := req.q.Get("api-version") >= "2026-02-01"
			if p := body.Properties; p.EnableRbacAuthorization != nil {
				rbacModel = *p.EnableRbacAuthorization
			}
			var nv *world.Vault
			err := world.ErrNameTaken
			if tx.State.Vault(req.rt.name) == nil { // the name is in use in another group of this sandbox otherwise
				nv, err = tx.NewVault(tx.State.ResourceGroups[strings.ToLower(req.rt.rg)].Name, req.rt.name, rbacModel)
			}
			if errors.Is(err, world.ErrNameTaken) {
				return errorf(http.StatusConflict, "VaultAlreadyExists", "The vault name '"+req.rt.name+
					"' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.")
			}
			if err != nil {
				return err
			}
			if body.Location != "" {
				nv.Location = normLocation(body.Location)
			}
			v, status = nv, http.StatusOK
		} else if p := body.Properties; p != nil {
			if p.EnableRbacAuthorization != nil {
				v.EnableRbacAuthorization = *p.EnableRbacAuthorization
			} else if !patch {
				v.EnableRbacAuthorization = false // PUT replaces: absent means the default of older api-versions
			}
		}
		if p := body.Properties; p != nil {
			if p.AccessPolicies != nil {
				v.AccessPolicies = *p.AccessPolicies
			} else if !patch {
				v.AccessPolicies = nil
			}
			if p.SoftDeleteRetentionInDays != nil && *p.SoftDeleteRetentionInDays >= 7 && *p.SoftDeleteRetentionInDays <= 90 {
				v.SoftDeleteRetentionDays = *p.SoftDeleteRetentionInDays
			}
		}
		out = vaultView(tx.State, v)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, status, out)
	return nil
}

// deleteVault deletes a vault: 200 when it existed, 204 when there was
// nothing to delete, as ARM answers. Azure keeps a deleted vault (and its
// name) in a soft-deleted state until it is purged; the simulation deletes
// it and frees the name at once.
func (s *Service) deleteVault(req *request) *armError {
	if e := req.c.authorize(req.r, actVaultDelete, vaultScope(req), req.rt.path); e != nil {
		return e
	}
	status := http.StatusOK
	if e := update(req, func(tx *world.Tx) error {
		v, e := findVault(tx.State, req.rt.rg, req.rt.name)
		switch {
		case e != nil && e.code == "ResourceGroupNotFound":
			return e
		case v == nil:
			status = http.StatusNoContent
			return nil
		}
		delete(tx.State.Vaults, strings.ToLower(v.Name))
		tx.Release(world.NameVault, v.Name)
		return nil
	}); e != nil {
		return e
	}
	req.rw.WriteHeader(status)
	return nil
}

// Vault names: 3-24 letters, digits and single hyphens, starting with a
// letter and ending with a letter or digit.
var vaultName = regexp.MustCompile(`^[a-zA-Z](?:[a-zA-Z0-9]|-[a-zA-Z0-9]){2,23}$`)

func validatePolicies(ps []world.AccessPolicy) *armError {
	for _, p := range ps {
		if uuid.Validate(p.ObjectID) != nil {
			return errorf(http.StatusBadRequest, "BadRequest", "Invalid value found at accessPolicies[].ObjectId: "+p.ObjectID)
		}
		if uuid.Validate(p.TenantID) != nil {
			return errorf(http.StatusBadRequest, "BadRequest", "Invalid value found at accessPolicies[].TenantId: "+p.TenantID)
		}
	}
	return nil
}

type policyBody struct {
	Properties *struct {
		AccessPolicies []world.AccessPolicy `json:"accessPolicies"`
	} `json:"properties"`
}

// putAccessPolicies is PUT …/vaults/{name}/accessPolicies/{add|replace|remove}.
func (s *Service) putAccessPolicies(req *request) *armError {
	op := strings.ToLower(req.rt.op)
	if op != "add" && op != "replace" && op != "remove" {
		return errorf(http.StatusBadRequest, "BadRequest",
			"The value '"+req.rt.op+"' is not valid for operationKind. Valid values are 'add', 'replace', 'remove'.")
	}
	var body policyBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if body.Properties == nil {
		return errorf(http.StatusBadRequest, "BadRequest", "The parameter properties is required.")
	}
	if e := validatePolicies(body.Properties.AccessPolicies); e != nil {
		return e
	}
	if e := req.c.authorize(req.r, actVaultPolicy, vaultScope(req), req.rt.path); e != nil {
		return e
	}
	var vid string
	if e := update(req, func(tx *world.Tx) error {
		v, e := findVault(tx.State, req.rt.rg, req.rt.name)
		if e != nil {
			return e
		}
		for _, p := range body.Properties.AccessPolicies {
			v.AccessPolicies = applyPolicy(v.AccessPolicies, p, op)
		}
		vid = tx.State.VaultID(v)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, http.StatusOK, map[string]any{
		"id": vid + "/accessPolicies/" + op, "type": "Microsoft.KeyVault/vaults/accessPolicies",
		"properties": map[string]any{"accessPolicies": policiesView(body.Properties.AccessPolicies)},
	})
	return nil
}

// applyPolicy merges one policy into the list: add unions permissions,
// replace sets them, remove takes them away (dropping an emptied entry).
func applyPolicy(list []world.AccessPolicy, p world.AccessPolicy, op string) []world.AccessPolicy {
	i := -1
	for j, q := range list {
		if strings.EqualFold(q.ObjectID, p.ObjectID) && strings.EqualFold(q.TenantID, p.TenantID) {
			i = j
			break
		}
	}
	if i < 0 {
		if op == "remove" {
			return list
		}
		return append(list, p)
	}
	cur := &list[i].Permissions
	switch op {
	case "replace":
		*cur = p.Permissions
	case "add":
		cur.Keys = union(cur.Keys, p.Permissions.Keys)
		cur.Secrets = union(cur.Secrets, p.Permissions.Secrets)
		cur.Certificates = union(cur.Certificates, p.Permissions.Certificates)
	case "remove":
		cur.Keys = minus(cur.Keys, p.Permissions.Keys)
		cur.Secrets = minus(cur.Secrets, p.Permissions.Secrets)
		cur.Certificates = minus(cur.Certificates, p.Permissions.Certificates)
		if len(cur.Keys)+len(cur.Secrets)+len(cur.Certificates) == 0 {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
