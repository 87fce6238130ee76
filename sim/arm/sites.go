package arm

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const (
	actSiteRead  = "Microsoft.Web/sites/read"
	actSiteWrite = "Microsoft.Web/sites/write"
)

type userIdentityJSON struct {
	PrincipalID string `json:"principalId"`
	ClientID    string `json:"clientId"`
}

type identityJSON struct {
	Type                   string                      `json:"type"`
	TenantID               string                      `json:"tenantId,omitempty"`
	PrincipalID            string                      `json:"principalId,omitempty"`
	UserAssignedIdentities map[string]userIdentityJSON `json:"userAssignedIdentities,omitempty"`
}

type siteJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Kind       string            `json:"kind"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties map[string]any    `json:"properties"`
	Identity   *identityJSON     `json:"identity,omitempty"`
}

// displayLocation is how App Service spells a region ("East US").
func displayLocation(l string) string {
	switch l {
	case "eastus":
		return "East US"
	case "eastus2":
		return "East US 2"
	case "westus":
		return "West US"
	case "westeurope":
		return "West Europe"
	case "northeurope":
		return "North Europe"
	}
	return l
}

func siteView(st *world.State, s *world.Site) siteJSON {
	host := s.Name + service.SuffixWebApps
	kind := s.Kind
	if kind == "functionapp" {
		kind = "functionapp,linux"
	} else {
		kind = "app,linux"
	}
	out := siteJSON{
		ID: st.SiteID(s), Name: s.Name, Type: "Microsoft.Web/sites", Kind: kind,
		Location: displayLocation(s.Location), Tags: map[string]string{},
		Properties: map[string]any{
			"name": s.Name, "state": "Running", "hostNames": []string{host},
			"enabledHostNames": []string{host, s.Name + ".scm" + service.SuffixWebApps},
			"defaultHostName":  host, "enabled": true, "resourceGroup": s.ResourceGroup, "httpsOnly": true,
		},
	}
	var types []string
	id := &identityJSON{}
	if p, ok := st.Principals[s.SystemIdentity]; ok && s.SystemIdentity != "" {
		types = append(types, "SystemAssigned")
		id.TenantID, id.PrincipalID = st.TenantID, p.ObjectID
	}
	for _, oid := range s.UserIdentities {
		p, ok := st.Principals[oid]
		if !ok {
			continue
		}
		if id.UserAssignedIdentities == nil {
			types = append(types, "UserAssigned")
			id.UserAssignedIdentities = map[string]userIdentityJSON{}
		}
		id.UserAssignedIdentities[p.ResourceID] = userIdentityJSON{PrincipalID: p.ObjectID, ClientID: p.AppID}
	}
	if len(types) > 0 {
		id.Type = strings.Join(types, ", ")
		out.Identity = id
	}
	return out
}

func siteScope(req *request) string {
	return rgScope(req) + "/providers/Microsoft.Web/sites/" + req.rt.name
}

func findSite(st *world.State, rg, name string) (*world.Site, *armError) {
	if e := needRG(st, rg); e != nil {
		return nil, e
	}
	s := st.Site(name)
	if s == nil || !strings.EqualFold(s.ResourceGroup, rg) {
		return nil, errResourceNotFound("Microsoft.Web/sites", name, rg)
	}
	return s, nil
}

func (s *Service) getSite(req *request) *armError {
	return getResource(req, actSiteRead, siteScope(req), func(st *world.State) (siteJSON, *armError) {
		site, e := findSite(st, req.rt.rg, req.rt.name)
		if e != nil {
			return siteJSON{}, e
		}
		return siteView(st, site), nil
	})
}

// patchSite applies the identity part of a PATCH of a site: what `az webapp
// identity assign/remove` sends. Other properties are ignored.
func (s *Service) patchSite(req *request) *armError {
	var body siteCreateBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	return s.updateSite(req, &body, false)
}

// updateSite changes a site that exists: its identity when the body names
// one, and for a PUT its app settings when the body carries siteConfig's.
func (s *Service) updateSite(req *request, body *siteCreateBody, put bool) *armError {
	var system, user, set bool
	if body.Identity != nil {
		set = true
		for _, t := range strings.Split(body.Identity.Type, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "userassigned") {
				user = true
			}
		}
		var e *armError
		if system, e = identityTypes(body.Identity.Type); e != nil {
			return e
		}
	}
	if e := req.c.authorize(req.r, actSiteWrite, siteScope(req), req.rt.path); e != nil {
		return e
	}
	var out siteJSON
	if e := update(req, func(tx *world.Tx) error {
		site, e := findSite(tx.State, req.rt.rg, req.rt.name)
		if e != nil {
			return e
		}
		if set {
			if system {
				tx.EnableSystemIdentity(site)
			} else {
				tx.DisableSystemIdentity(site)
			}
			if !user {
				site.UserIdentities = nil
			}
		}
		if as := body.appSettings(); put && as != nil {
			site.AppSettings = map[string]string{}
			for _, nv := range *as {
				site.AppSettings[nv.Name] = nv.Value
			}
		}
		out = siteView(tx.State, site)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, http.StatusOK, out)
	return nil
}
