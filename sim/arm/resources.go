package arm

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const (
	actSubRead  = "Microsoft.Resources/subscriptions/read"
	actRGRead   = "Microsoft.Resources/subscriptions/resourceGroups/read"
	actRGWrite  = "Microsoft.Resources/subscriptions/resourceGroups/write"
	actRGDelete = "Microsoft.Resources/subscriptions/resourceGroups/delete"
)

type subJSON struct {
	ID                   string         `json:"id"`
	AuthorizationSource  string         `json:"authorizationSource"`
	ManagedByTenants     []string       `json:"managedByTenants"`
	SubscriptionID       string         `json:"subscriptionId"`
	TenantID             string         `json:"tenantId"`
	DisplayName          string         `json:"displayName"`
	State                string         `json:"state"`
	SubscriptionPolicies map[string]any `json:"subscriptionPolicies"`
}

func subView(w *world.World) subJSON {
	var name string
	w.View(func(st *world.State) { name = st.Subscription })
	return subJSON{
		ID: "/subscriptions/" + w.SubscriptionID(), AuthorizationSource: "RoleBased", ManagedByTenants: []string{},
		SubscriptionID: w.SubscriptionID(), TenantID: w.TenantID(), DisplayName: name, State: "Enabled",
		SubscriptionPolicies: map[string]any{"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
	}
}

func (s *Service) getSubscription(req *request) *armError {
	sub := "/subscriptions/" + req.c.w.SubscriptionID()
	if e := req.c.authorize(req.r, actSubRead, sub, sub); e != nil {
		return e
	}
	writeJSON(req.rw, http.StatusOK, subView(req.c.w))
	return nil
}

// listSubscriptions lists the caller's tenant's subscription when the caller
// can read it (a principal without any role sees none, as az login reports).
func (s *Service) listSubscriptions(req *request) *armError {
	out := []subJSON{}
	if req.c.canRead(actSubRead, "/subscriptions/"+req.c.w.SubscriptionID()) {
		out = append(out, subView(req.c.w))
	}
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out, "count": map[string]any{"type": "Total", "value": len(out)}})
	return nil
}

// tenantJSON is one entry of GET /tenants (Microsoft.Resources
// TenantIdDescription).
type tenantJSON struct {
	ID             string   `json:"id"`
	TenantID       string   `json:"tenantId"`
	CountryCode    string   `json:"countryCode"`
	DisplayName    string   `json:"displayName"`
	Domains        []string `json:"domains"`
	TenantCategory string   `json:"tenantCategory"`
	DefaultDomain  string   `json:"defaultDomain"`
	TenantType     string   `json:"tenantType"`
}

// listTenants lists the tenants the caller belongs to: its own (az login
// asks before it lists each tenant's subscriptions).
func (s *Service) listTenants(req *request) *armError {
	var t tenantJSON
	req.c.w.View(func(st *world.State) {
		t = tenantJSON{
			ID: "/tenants/" + st.TenantID, TenantID: st.TenantID, CountryCode: "US",
			DisplayName: strings.TrimSuffix(st.TenantDomain, ".onmicrosoft.com"), Domains: []string{st.TenantDomain},
			TenantCategory: "Home", DefaultDomain: st.TenantDomain, TenantType: "AAD",
		}
	})
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": []tenantJSON{t}})
	return nil
}

type rgJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties map[string]string `json:"properties"`
}

func rgView(st *world.State, rg *world.ResourceGroup) rgJSON {
	return rgJSON{
		ID: st.ResourceGroupID(rg.Name), Name: rg.Name, Type: "Microsoft.Resources/resourceGroups",
		Location: rg.Location, Tags: rg.Tags, Properties: map[string]string{"provisioningState": "Succeeded"},
	}
}

func (s *Service) getResourceGroup(req *request) *armError {
	return getResource(req, actRGRead, rgScope(req), func(st *world.State) (rgJSON, *armError) {
		rg, ok := st.ResourceGroups[strings.ToLower(req.rt.rg)]
		if !ok {
			return rgJSON{}, errRGNotFound(req.rt.rg)
		}
		return rgView(st, rg), nil
	})
}

func rgScope(req *request) string {
	return "/subscriptions/" + req.c.w.SubscriptionID() + "/resourceGroups/" + req.rt.rg
}

// listResourceGroups lists the groups the caller can read.
func (s *Service) listResourceGroups(req *request) *armError {
	var all []rgJSON
	req.c.w.View(func(st *world.State) {
		for _, rg := range st.ResourceGroups {
			all = append(all, rgView(st, rg))
		}
	})
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	out := []rgJSON{}
	for _, v := range all {
		if req.c.canRead(actRGRead, v.ID) {
			out = append(out, v)
		}
	}
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out})
	return nil
}

// Resource group names: 1-90 of letters, digits, '.', '_', '-', '(', ')',
// not ending in '.'.
var rgName = regexp.MustCompile(`^[-\w._()]{1,90}$`)

type rgBody struct {
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags"`
}

func (s *Service) putResourceGroup(req *request) *armError { return s.writeResourceGroup(req, false) }

func (s *Service) patchResourceGroup(req *request) *armError { return s.writeResourceGroup(req, true) }

func (s *Service) writeResourceGroup(req *request, patch bool) *armError {
	name := req.rt.rg
	if !rgName.MatchString(name) || strings.HasSuffix(name, ".") {
		return errorf(http.StatusBadRequest, "InvalidResourceGroup", "The provided resource group name '"+name+
			"' has these invalid characters: '"+name+"'. The name can be a max of 90 characters, can only include alphanumeric characters, periods, underscores, hyphens and parenthesis and cannot end in a period.")
	}
	var body rgBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if e := req.c.authorize(req.r, actRGWrite, rgScope(req), req.rt.path); e != nil {
		return e
	}
	var out rgJSON
	status := http.StatusOK
	if e := update(req, func(tx *world.Tx) error {
		rg, exists := tx.State.ResourceGroups[strings.ToLower(name)]
		switch {
		case !exists && patch:
			return errRGNotFound(name)
		case !exists && body.Location == "":
			return errorf(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		case exists && body.Location != "" && !strings.EqualFold(normLocation(body.Location), rg.Location):
			return errorf(http.StatusConflict, "InvalidResourceGroupLocation", "Invalid resource group location '"+body.Location+
				"'. The Resource group already exists in location '"+rg.Location+"'.")
		case !exists:
			rg = tx.NewResourceGroup(name, normLocation(body.Location))
			status = http.StatusCreated
		}
		if body.Tags != nil || !patch {
			rg.Tags = body.Tags
		}
		out = rgView(tx.State, rg)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, status, out)
	return nil
}

// normLocation turns "East US" into "eastus", as ARM stores locations.
func normLocation(l string) string { return strings.ToLower(strings.ReplaceAll(l, " ", "")) }

// deleteResourceGroup deletes the group and what is in it (vaults, storage
// accounts, sites, and their system identities), as Azure does. Azure answers
// 202 and finishes asynchronously; the simulation finishes at once and
// answers 200, which the SDKs' pollers accept as done.
func (s *Service) deleteResourceGroup(req *request) *armError {
	if e := req.c.authorize(req.r, actRGDelete, rgScope(req), req.rt.path); e != nil {
		return e
	}
	if e := update(req, func(tx *world.Tx) error {
		key := strings.ToLower(req.rt.rg)
		if _, ok := tx.State.ResourceGroups[key]; !ok {
			return errRGNotFound(req.rt.rg)
		}
		in := func(rg string) bool { return strings.EqualFold(rg, req.rt.rg) }
		for k, v := range tx.State.Vaults {
			if in(v.ResourceGroup) {
				delete(tx.State.Vaults, k)
				tx.Release(world.NameVault, v.Name)
			}
		}
		for k, a := range tx.State.StorageAccounts {
			if in(a.ResourceGroup) {
				delete(tx.State.StorageAccounts, k)
				tx.Release(world.NameStorage, a.Name)
			}
		}
		for k, site := range tx.State.Sites {
			if in(site.ResourceGroup) {
				tx.DisableSystemIdentity(site)
				delete(tx.State.Sites, k)
				tx.Release(world.NameSite, site.Name)
			}
		}
		delete(tx.State.ResourceGroups, key)
		return nil
	}); e != nil {
		return e
	}
	req.rw.WriteHeader(http.StatusOK)
	return nil
}
