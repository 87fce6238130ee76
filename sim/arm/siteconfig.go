package arm

import (
	"net/http"
	"sort"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// App Service's config actions: reading app settings is a list action
// (their values are secrets), not a plain read.
const (
	actSiteConfigList  = "Microsoft.Web/sites/config/list/Action"
	actSiteConfigWrite = "Microsoft.Web/sites/config/write"
	actSiteConfigRead  = "Microsoft.Web/sites/config/Read"
)

// siteConfigJSON is a Microsoft.Web/sites/config resource (appsettings,
// slotConfigNames).
type siteConfigJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties any               `json:"properties"`
}

func configView(st *world.State, s *world.Site, name string, props any) siteConfigJSON {
	return siteConfigJSON{ID: st.SiteID(s) + "/config/" + name, Name: name, Type: "Microsoft.Web/sites/config",
		Location: displayLocation(s.Location), Tags: map[string]string{}, Properties: props}
}

func appSettingsView(st *world.State, s *world.Site) siteConfigJSON {
	props := map[string]string{}
	for k, v := range s.AppSettings {
		props[k] = v
	}
	return configView(st, s, "appsettings", props)
}

// listAppSettings answers POST .../sites/{name}/config/appsettings/list
// (`az webapp config appsettings list`, and the read before `set`).
func (s *Service) listAppSettings(req *request) *armError {
	return getResource(req, actSiteConfigList, siteScope(req), func(st *world.State) (siteConfigJSON, *armError) {
		site, e := findSite(st, req.rt.rg, req.rt.name)
		if e != nil {
			return siteConfigJSON{}, e
		}
		return appSettingsView(st, site), nil
	})
}

// putAppSettings answers PUT .../sites/{name}/config/appsettings: the body's
// properties replace every app setting, as App Service does.
func (s *Service) putAppSettings(req *request) *armError {
	var body struct {
		Properties map[string]*string `json:"properties"`
	}
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if e := req.c.authorize(req.r, actSiteConfigWrite, siteScope(req), req.rt.path); e != nil {
		return e
	}
	var out siteConfigJSON
	if e := update(req, func(tx *world.Tx) error {
		site, e := findSite(tx.State, req.rt.rg, req.rt.name)
		if e != nil {
			return e
		}
		settings := map[string]string{}
		for k, v := range body.Properties {
			if v != nil {
				settings[k] = *v
			}
		}
		site.AppSettings = settings
		out = appSettingsView(tx.State, site)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, http.StatusOK, out)
	return nil
}

// getSlotConfigNames answers GET .../config/slotConfigNames: the settings
// that stick to a deployment slot. Sites in the sandbox have no slots, so
// none do.
func (s *Service) getSlotConfigNames(req *request) *armError {
	return getResource(req, actSiteConfigRead, siteScope(req), func(st *world.State) (siteConfigJSON, *armError) {
		site, e := findSite(st, req.rt.rg, req.rt.name)
		if e != nil {
			return siteConfigJSON{}, e
		}
		return configView(st, site, "slotConfigNames", map[string]any{
			"connectionStringNames": nil, "appSettingNames": nil, "azureStorageConfigNames": nil,
		}), nil
	})
}

// listStorageAccounts answers GET .../providers/Microsoft.Storage/storageAccounts
// at the subscription or a resource group (`az storage account show -n`
// without -g looks the account up here): the accounts the caller may read.
func (s *Service) listStorageAccounts(req *request) *armError {
	var all []storageJSON
	var aerr *armError
	req.c.w.View(func(st *world.State) {
		if req.rt.rg != "" {
			if _, ok := st.ResourceGroups[strings.ToLower(req.rt.rg)]; !ok {
				aerr = errRGNotFound(req.rt.rg)
				return
			}
		}
		for _, a := range st.StorageAccounts {
			if req.rt.rg == "" || strings.ToLower(a.ResourceGroup) == strings.ToLower(req.rt.rg) {
				all = append(all, storageView(st, a))
			}
		}
	})
	if aerr != nil {
		return aerr
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	out := []storageJSON{}
	for _, a := range all {
		if req.c.canRead(actStorageRead, a.ID) {
			out = append(out, a)
		}
	}
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out})
	return nil
}
