package graph

import (
	"net/http"
	"sort"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Directory permissions of the reads that only list or resolve objects.
const (
	permReadUser  = "microsoft.directory/users/standard/read"
	permUpdateApp = "microsoft.directory/applications/basic/update"
)

// spFields are a service principal's filterable properties.
func spFields(p *world.Principal, sp servicePrincipal) fields {
	return func(prop string) ([]string, bool) {
		switch prop {
		case "appid":
			return []string{p.AppID}, true
		case "displayname":
			return []string{p.DisplayName}, true
		case "serviceprincipalnames":
			return sp.ServicePrincipalNames, true
		}
		return nil, false
	}
}

func appFields(p *world.Principal) fields {
	return func(prop string) ([]string, bool) {
		switch prop {
		case "appid":
			return []string{p.AppID}, true
		case "displayname":
			return []string{p.DisplayName}, true
		case "identifieruris":
			return nil, true // the sandbox's apps expose no API
		}
		return nil, false
	}
}

func userFields(p *world.Principal) fields {
	return func(prop string) ([]string, bool) {
		switch prop {
		case "userprincipalname", "mail":
			return []string{p.UserPrincipalName}, true
		case "displayname":
			return []string{p.DisplayName}, true
		}
		return nil, false
	}
}

// sortedPrincipals returns the world's principals in a stable order (by
// creation, then object ID), as Graph pages are stable.
func sortedPrincipals(st *world.State) []*world.Principal {
	out := make([]*world.Principal, 0, len(st.Principals))
	for _, p := range st.Principals {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ObjectID < out[j].ObjectID
	})
	return out
}

// listOf answers a collection GET with an optional $filter: the caller's
// directory permission, then every object of the collection that matches,
// as view shows it.
func listOf[T any](c *call, perm, collection, resource string, known []string,
	member func(*world.Principal) bool, view func(*world.State, *world.Principal) (T, fields)) (int, any, *apiError) {
	f, e := parseFilter(c.r.URL.Query().Get("$filter"), resource, known...)
	if e != nil {
		return 0, nil, e
	}
	type list struct {
		Context string `json:"@odata.context"`
		Value   []T    `json:"value"`
	}
	out := list{Context: metadata + collection, Value: []T{}}
	c.w.View(func(st *world.State) {
		if e = authorize(st, c.claims, perm, c.notes); e != nil {
			return
		}
		for _, p := range sortedPrincipals(st) {
			if !member(p) {
				continue
			}
			v, fs := view(st, p)
			if f == nil || f(fs) {
				out.Value = append(out.Value, v)
			}
		}
	})
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, out, nil
}

// listServicePrincipals answers GET /servicePrincipals[?$filter=…].
func listServicePrincipals(c *call) (int, any, *apiError) {
	return listOf(c, permReadSP, collSPs, "servicePrincipal", []string{"appId", "displayName", "servicePrincipalNames"},
		isServicePrincipal, func(st *world.State, p *world.Principal) (servicePrincipal, fields) {
			sp := servicePrincipalOf(st, p)
			sp.Context = ""
			return sp, spFields(p, sp)
		})
}

// listApplications answers GET /applications[?$filter=…].
func listApplications(c *call) (int, any, *apiError) {
	return listOf(c, permReadApp, collApps, "application", []string{"appId", "displayName", "identifierUris"},
		func(p *world.Principal) bool { return p.Kind == world.KindApplication },
		func(st *world.State, p *world.Principal) (application, fields) {
			a := applicationOf(st, p)
			a.Context = ""
			return a, appFields(p)
		})
}

// user is the part of Graph's user resource the sandbox keeps.
type user struct {
	Context           string   `json:"@odata.context,omitempty"`
	Type              string   `json:"@odata.type,omitempty"`
	ID                string   `json:"id"`
	BusinessPhones    []string `json:"businessPhones"`
	DisplayName       string   `json:"displayName"`
	GivenName         *string  `json:"givenName"`
	JobTitle          *string  `json:"jobTitle"`
	Mail              *string  `json:"mail"`
	MobilePhone       *string  `json:"mobilePhone"`
	OfficeLocation    *string  `json:"officeLocation"`
	PreferredLanguage *string  `json:"preferredLanguage"`
	Surname           *string  `json:"surname"`
	UserPrincipalName string   `json:"userPrincipalName"`
}

func userOf(_ *world.State, p *world.Principal) user {
	return user{Context: metadata + "users/$entity", ID: p.ObjectID, BusinessPhones: []string{},
		DisplayName: p.DisplayName, UserPrincipalName: p.UserPrincipalName}
}

func isUser(p *world.Principal) bool { return p.Kind == world.KindUser }

// listUsers answers GET /users[?$filter=…] (az role assignment --assignee <UPN>).
func listUsers(c *call) (int, any, *apiError) {
	return listOf(c, permReadUser, "users", "user", []string{"userPrincipalName", "mail", "displayName"},
		isUser, func(st *world.State, p *world.Principal) (user, fields) {
			u := userOf(st, p)
			u.Context = ""
			return u, userFields(p)
		})
}

// findUser resolves /users/{id | userPrincipalName}.
func findUser(st *world.State, rt route) *world.Principal {
	if p := st.Principals[strings.ToLower(rt.id)]; p != nil && isUser(p) {
		return p
	}
	for _, p := range st.Principals {
		if isUser(p) && strings.EqualFold(p.UserPrincipalName, rt.id) {
			return p
		}
	}
	return nil
}

func getUser(c *call) (int, any, *apiError) {
	return getObject(c, permReadUser, findUser, userOf)
}

// getByIds answers POST /directoryObjects/getByIds: the objects among ids
// (of the listed types) that exist, each with its @odata.type. az calls it
// to name the principals of role assignments.
func getByIds(c *call) (int, any, *apiError) {
	var in struct {
		IDs   []string `json:"ids"`
		Types []string `json:"types"`
	}
	if e := decode(c, &in, false); e != nil {
		return 0, nil, e
	}
	if len(in.IDs) == 0 {
		return 0, nil, invalidProperty("ids", "DirectoryObject")
	}
	if len(in.IDs) > 1000 {
		return 0, nil, errorf(http.StatusBadRequest, codeBadRequest, "Too many identifiers in the request: at most 1000 are allowed.")
	}
	wanted := func(t string) bool {
		if len(in.Types) == 0 {
			return true
		}
		for _, x := range in.Types {
			if strings.EqualFold(x, t) || strings.EqualFold(x, "directoryObject") {
				return true
			}
		}
		return false
	}
	out := struct {
		Context string `json:"@odata.context"`
		Value   []any  `json:"value"`
	}{Context: metadata + "directoryObjects", Value: []any{}}
	var e *apiError
	c.w.View(func(st *world.State) {
		if e = authorize(st, c.claims, permReadSP, c.notes); e != nil {
			return
		}
		for _, id := range in.IDs {
			p := st.Principals[strings.ToLower(id)]
			switch {
			case p == nil:
			case isUser(p) && wanted("user"):
				u := userOf(st, p)
				u.Context, u.Type = "", "#microsoft.graph.user"
				out.Value = append(out.Value, u)
			case isServicePrincipal(p) && wanted("servicePrincipal"):
				sp := servicePrincipalOf(st, p)
				sp.Context = ""
				out.Value = append(out.Value, struct {
					Type string `json:"@odata.type"`
					servicePrincipal
				}{"#microsoft.graph.servicePrincipal", sp})
			}
		}
	})
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, out, nil
}

// patchApplication answers PATCH /applications/{id}: az's create commands
// patch an app that already has the display name. Only displayName is kept
// by the sandbox; other properties are accepted and not stored.
func patchApplication(c *call) (int, any, *apiError) {
	var in struct {
		DisplayName *string `json:"displayName"`
	}
	if e := decode(c, &in, false); e != nil {
		return 0, nil, e
	}
	if in.DisplayName != nil && (strings.TrimSpace(*in.DisplayName) == "" || len(*in.DisplayName) > maxDisplayName) {
		return 0, nil, invalidProperty("displayName", "Application")
	}
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if e := authorize(tx.State, c.claims, permUpdateApp, c.notes); e != nil {
			return e
		}
		p := findApplication(tx.State, c.route)
		if p == nil {
			return notFound(c.route.id)
		}
		if in.DisplayName != nil {
			p.DisplayName = *in.DisplayName
		}
		return nil
	})
	if err != nil {
		return 0, nil, updateError(err)
	}
	return http.StatusNoContent, nil, nil
}
