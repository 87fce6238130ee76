package graph

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Bounds of what Graph accepts, so no value overflows the sandbox's clock.
const (
	maxDisplayName     = 256
	defaultPasswordAge = 2 * 365 * 24 * time.Hour // Graph's default: two years
	maxPasswordAge     = 100 * 365 * 24 * time.Hour
)

// decode reads a JSON body into v; an empty body is an empty object when
// allowEmpty.
func decode(c *call, v any, allowEmpty bool) *apiError {
	b, err := io.ReadAll(c.r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, codeBadRequest, "The request body is too large.")
		}
		return badJSON()
	}
	if len(strings.TrimSpace(string(b))) == 0 && allowEmpty {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badJSON()
	}
	return nil
}

func invalidProperty(prop, resource string) *apiError {
	return errorf(http.StatusBadRequest, codeBadRequest, "Invalid value specified for property '"+prop+"' of resource '"+resource+"'.")
}

// findApplication resolves the route's application (by object ID or appId).
func findApplication(st *world.State, rt route) *world.Principal {
	for _, p := range st.Principals {
		if p.Kind != world.KindApplication {
			continue
		}
		if (rt.byAppID && strings.EqualFold(p.AppID, rt.id)) || (!rt.byAppID && strings.EqualFold(p.AppObjectID, rt.id)) {
			return p
		}
	}
	return nil
}

// findServicePrincipal resolves the route's service principal.
func findServicePrincipal(st *world.State, rt route) *world.Principal {
	if rt.byAppID {
		if p := st.PrincipalByAppID(rt.id); p != nil && isServicePrincipal(p) {
			return p
		}
		return nil
	}
	if p := st.Principals[strings.ToLower(rt.id)]; p != nil && isServicePrincipal(p) {
		return p
	}
	return nil
}

func createApplication(c *call) (int, any, *apiError) {
	var in struct {
		DisplayName *string `json:"displayName"`
	}
	if e := decode(c, &in, false); e != nil {
		return 0, nil, e
	}
	if in.DisplayName == nil || strings.TrimSpace(*in.DisplayName) == "" || len(*in.DisplayName) > maxDisplayName {
		return 0, nil, invalidProperty("displayName", "Application")
	}
	var out application
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if e := authorize(tx.State, c.claims, permCreateApp, c.notes); e != nil {
			return e
		}
		// The world keeps an app and its service principal as one
		// principal: creating the application creates both.
		out = applicationOf(tx.State, tx.NewApplication(*in.DisplayName))
		return nil
	})
	if err != nil {
		return 0, nil, updateError(err)
	}
	return http.StatusCreated, out, nil
}

func getApplication(c *call) (int, any, *apiError) {
	return getObject(c, permReadApp, findApplication, applicationOf)
}

// getObject answers a GET of one directory object: the caller's directory
// permission, then the object found by the route, shown as view shows it.
func getObject[T any](c *call, perm string, find func(*world.State, route) *world.Principal, view func(*world.State, *world.Principal) T) (int, any, *apiError) {
	var out T
	var e *apiError
	c.w.View(func(st *world.State) {
		if e = authorize(st, c.claims, perm, c.notes); e != nil {
			return
		}
		p := find(st, c.route)
		if p == nil {
			e = notFound(c.route.id)
			return
		}
		out = view(st, p)
	})
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, out, nil
}

func deleteApplication(c *call) (int, any, *apiError) {
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if e := authorize(tx.State, c.claims, permDeleteApp, c.notes); e != nil {
			return e
		}
		p := findApplication(tx.State, c.route)
		if p == nil {
			return notFound(c.route.id)
		}
		return tx.DeletePrincipal(p.ObjectID)
	})
	if err != nil {
		return 0, nil, updateError(err)
	}
	return http.StatusNoContent, nil, nil
}

func addPassword(c *call) (int, any, *apiError) {
	var in struct {
		PasswordCredential struct {
			DisplayName string `json:"displayName"`
			EndDateTime string `json:"endDateTime"`
		} `json:"passwordCredential"`
	}
	if e := decode(c, &in, true); e != nil {
		return 0, nil, e
	}
	pc := in.PasswordCredential
	if len(pc.DisplayName) > maxDisplayName {
		return 0, nil, invalidProperty("displayName", "PasswordCredential")
	}
	var out passwordCredential
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if e := authorize(tx.State, c.claims, permCredentials, c.notes); e != nil {
			return e
		}
		p := findApplication(tx.State, c.route)
		if p == nil {
			return notFound(c.route.id)
		}
		age := defaultPasswordAge
		if pc.EndDateTime != "" {
			end, err := time.Parse(time.RFC3339, pc.EndDateTime)
			if err != nil || !end.After(tx.Now) || end.Sub(tx.Now) > maxPasswordAge {
				return invalidProperty("endDateTime", "PasswordCredential")
			}
			age = end.Sub(tx.Now)
		}
		value, cs := tx.AddClientSecret(p, pc.DisplayName, age)
		out = credentialOf(cs, &value)
		return nil
	})
	if err != nil {
		return 0, nil, updateError(err)
	}
	type withContext struct {
		Context string `json:"@odata.context"`
		passwordCredential
	}
	return http.StatusOK, withContext{metadata + "microsoft.graph.passwordCredential", out}, nil
}

func removePassword(c *call) (int, any, *apiError) {
	var in struct {
		KeyID string `json:"keyId"`
	}
	if e := decode(c, &in, false); e != nil {
		return 0, nil, e
	}
	if in.KeyID == "" {
		return 0, nil, invalidProperty("keyId", "PasswordCredential")
	}
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if e := authorize(tx.State, c.claims, permCredentials, c.notes); e != nil {
			return e
		}
		p := findApplication(tx.State, c.route)
		if p == nil {
			return notFound(c.route.id)
		}
		if err := tx.RemoveClientSecret(p, in.KeyID); err != nil {
			return errorf(http.StatusBadRequest, codeBadRequest, "No password credential found with keyId "+quoted(in.KeyID)+".")
		}
		return nil
	})
	if err != nil {
		return 0, nil, updateError(err)
	}
	return http.StatusNoContent, nil, nil
}

func createServicePrincipal(c *call) (int, any, *apiError) {
	var in struct {
		AppID string `json:"appId"`
	}
	if e := decode(c, &in, false); e != nil {
		return 0, nil, e
	}
	if in.AppID == "" {
		return 0, nil, invalidProperty("appId", "ServicePrincipal")
	}
	var out servicePrincipal
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if e := authorize(tx.State, c.claims, permCreateSP, c.notes); e != nil {
			return e
		}
		p := tx.State.PrincipalByAppID(in.AppID)
		if p == nil || p.Kind != world.KindApplication {
			return errorf(http.StatusBadRequest, codeBadRequest,
				"The appId "+quoted(in.AppID)+" of the service principal does not reference a valid application object.")
		}
		// NewApplication already made the service principal; answering
		// 201 with it keeps az's create-for-rbac sequence working.
		out = servicePrincipalOf(tx.State, p)
		return nil
	})
	if err != nil {
		return 0, nil, updateError(err)
	}
	return http.StatusCreated, out, nil
}

func getServicePrincipal(c *call) (int, any, *apiError) {
	return getObject(c, permReadSP, findServicePrincipal, servicePrincipalOf)
}

func deleteServicePrincipal(c *call) (int, any, *apiError) {
	err := c.w.Update(c.r.Context(), func(tx *world.Tx) error {
		if e := authorize(tx.State, c.claims, permDeleteSP, c.notes); e != nil {
			return e
		}
		p := findServicePrincipal(tx.State, c.route)
		if p == nil {
			return notFound(c.route.id)
		}
		if p.Kind != world.KindApplication {
			return errorf(http.StatusBadRequest, codeBadRequest,
				"A managed identity's service principal is deleted with the identity, not through Microsoft Graph.")
		}
		return tx.DeletePrincipal(p.ObjectID)
	})
	if err != nil {
		return 0, nil, updateError(err)
	}
	return http.StatusNoContent, nil, nil
}
