package arm

import (
	"net/http"

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
