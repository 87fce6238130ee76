package arm

import (
	"errors"
	"maps"
	"net/http"
	"regexp"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const actSiteListKeys = "Microsoft.Web/sites/host/listkeys/action"

// Site names: 2-60 letters, digits and hyphens, not starting or ending with
// a hyphen (they become a DNS label under azurewebsites.net).
var siteName = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,58}[a-zA-Z0-9])?$`)

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// siteCreateBody is the part of a site PUT the simulation keeps: what
// `az webapp create` / `az functionapp create` send.
type siteCreateBody struct {
	Location string `json:"location"`
	Kind     string `json:"kind"`
	Identity *struct {
		Type string `json:"type"`
	} `json:"identity"`
	Properties *struct {
		SiteConfig *struct {
			AppSettings *[]nameValue `json:"appSettings"`
		} `json:"siteConfig"`
	} `json:"properties"`
}

func (b *siteCreateBody) appSettings() *[]nameValue {
	if b.Properties == nil || b.Properties.SiteConfig == nil {
		return nil
	}
	return b.Properties.SiteConfig.AppSettings
}

// siteKind maps an App Service kind ("app", "app,linux", "functionapp,linux")
// to the world's.
func siteKind(k string) string {
	if strings.Contains(strings.ToLower(k), "functionapp") {
		return "functionapp"
	}
	return "app"
}

// putSite creates a site, or updates one that exists (its identity and, when
// given, its app settings, which a PUT replaces as a whole). A new function
// app gets its "default" function key, as the Functions host creates it on
// first start.
func (s *Service) putSite(req *request) *armError {
	var body siteCreateBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	var exists bool
	req.c.w.View(func(st *world.State) {
		site := st.Site(req.rt.name)
		exists = site != nil && strings.EqualFold(site.ResourceGroup, req.rt.rg)
	})
	if exists {
		return s.updateSite(req, &body, true)
	}
	return s.createSite(req, &body)
}

func (s *Service) createSite(req *request, body *siteCreateBody) *armError {
	var system bool
	if body.Identity != nil {
		var e *armError
		if system, e = identityTypes(body.Identity.Type); e != nil {
			return e
		}
	}
	if e := req.c.authorize(req.r, actSiteWrite, siteScope(req), req.rt.path); e != nil {
		return e
	}
	name := req.rt.name
	if !siteName.MatchString(name) {
		return appServiceErrorf(http.StatusBadRequest, "BadRequest", "01033",
			"Site name '{0}' is invalid. The name can contain only letters, numbers and hyphens, must start and end with a letter or a number, and be 2 to 60 characters long.", name)
	}
	if body.Location == "" {
		return errorf(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
	}
	taken := appServiceErrorf(http.StatusConflict, "Conflict", "54001", "Website with given name {0} already exists.", name)
	var out siteJSON
	if e := update(req, func(tx *world.Tx) error {
		rg, ok := tx.State.ResourceGroups[strings.ToLower(req.rt.rg)]
		switch {
		case !ok:
			return errRGNotFound(req.rt.rg)
		case tx.State.Site(name) != nil: // in another group of this sandbox, or created meanwhile
			return taken
		}
		site, err := tx.NewSite(rg.Name, name, siteKind(body.Kind))
		if errors.Is(err, world.ErrNameTaken) {
			return taken
		}
		if err != nil {
			return err
		}
		site.Location = normLocation(body.Location)
		if site.Kind == "functionapp" {
			site.FunctionKeys["default"] = world.RandomHex(20)
		}
		if as := body.appSettings(); as != nil {
			for _, nv := range *as {
				site.AppSettings[nv.Name] = nv.Value
			}
		}
		if system {
			tx.EnableSystemIdentity(site)
		}
		out = siteView(tx.State, site)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, http.StatusOK, out)
	return nil
}

// identityTypes parses a ManagedServiceIdentityType.
func identityTypes(t string) (system bool, aerr *armError) {
	for _, p := range strings.Split(t, ",") {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "systemassigned":
			system = true
		case "userassigned", "none":
		default:
			return false, errorf(http.StatusBadRequest, "BadRequest", "The value '"+t+
				"' is not a valid ManagedServiceIdentityType. Valid values are 'None', 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned'.")
		}
	}
	return system, nil
}

type hostKeysJSON struct {
	MasterKey    string            `json:"masterKey,omitempty"`
	FunctionKeys map[string]string `json:"functionKeys"`
	SystemKeys   map[string]string `json:"systemKeys"`
}

// listHostKeys is POST …/sites/{name}/host/default/listkeys: the function
// app's host keys (`az functionapp keys list`). The simulation has no master
// key, so masterKey is left out.
func (s *Service) listHostKeys(req *request) *armError {
	return getResource(req, actSiteListKeys, siteScope(req), func(st *world.State) (hostKeysJSON, *armError) {
		site, e := findSite(st, req.rt.rg, req.rt.name)
		if e != nil {
			return hostKeysJSON{}, e
		}
		out := hostKeysJSON{FunctionKeys: map[string]string{}, SystemKeys: map[string]string{}}
		maps.Copy(out.FunctionKeys, site.FunctionKeys)
		return out, nil
	})
}
