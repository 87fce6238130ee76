// Package graph simulates the slice of Microsoft Graph (graph.microsoft.com
// v1.0) that manages app registrations, service principals and client
// secrets: what `az ad sp create-for-rbac`, `az ad app credential reset`
// and `az ad app delete` call.
package graph

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// maxBody bounds a request body; Graph's objects are small.
const maxBody = 1 << 20

// Service is the Graph http.Handler.
type Service struct {
	reg       *world.Registry
	validator *entra.Validator
}

// New returns the Graph service over the worlds of reg, validating tokens
// with v.
func New(reg *world.Registry, v *entra.Validator) *Service {
	return &Service{reg: reg, validator: v}
}

// call is one authenticated request.
type call struct {
	r      *http.Request
	w      *world.World
	claims *entra.Claims
	notes  *trace.Notes
	route  route
}

// ServeHTTP authenticates the caller, then routes the request.
func (s *Service) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	i := headers(rw, r)
	notes := trace.NotesFrom(r.Context())
	now := s.reg.Clock().Now()
	w, claims, aerr := s.authenticate(r, notes)
	if w != nil {
		now = w.Now()
	}
	if aerr != nil {
		writeError(rw, i, now, aerr)
		return
	}
	rt, aerr := parseRoute(r.URL.EscapedPath())
	if aerr != nil {
		writeError(rw, i, now, aerr)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxBody)
	status, body, aerr := dispatch(&call{r: r, w: w, claims: claims, notes: notes, route: rt})
	if aerr != nil {
		writeError(rw, i, now, aerr)
		return
	}
	if body == nil {
		rw.WriteHeader(status)
		return
	}
	writeJSON(rw, status, body)
}

// route is a parsed Graph path.
type route struct {
	collection string // "applications" or "servicePrincipals"
	id         string // object ID, or app ID when byAppID
	byAppID    bool
	action     string // "", "addPassword" or "removePassword"
}

const (
	collApps    = "applications"
	collSPs     = "servicePrincipals"
	collUsers   = "users"
	collObjects = "directoryObjects"
)

// parseRoute parses /v1.0/{collection}[/{id} | (appId='{appId}')][/{action}].
// Graph's segment names are case-insensitive.
func parseRoute(escaped string) (route, *apiError) {
	rest, ok := strings.CutPrefix(escaped, "/v1.0/")
	if !ok {
		return route{}, errorf(http.StatusBadRequest, codeUnreadable, "Invalid version.")
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	var rt route
	head := segs[0]
	if name, key, ok := strings.Cut(head, "("); ok {
		head = name
		v, ok := strings.CutSuffix(key, ")")
		if !ok {
			return route{}, unknownSegment(segs[0])
		}
		k, val, ok := strings.Cut(v, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "appId") {
			return route{}, unknownSegment(segs[0])
		}
		val = strings.TrimSpace(strings.ReplaceAll(val, "%27", "'"))
		if len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
			return route{}, errorf(http.StatusBadRequest, codeBadRequest, "Invalid key value: "+quoted(val)+".")
		}
		rt.id, rt.byAppID = val[1:len(val)-1], true
		if rt.id == "" {
			return route{}, errorf(http.StatusBadRequest, codeBadRequest, "Invalid key value: "+quoted(val)+".")
		}
	}
	switch {
	case strings.EqualFold(head, collApps):
		rt.collection = collApps
	case strings.EqualFold(head, collSPs):
		rt.collection = collSPs
	case strings.EqualFold(head, collUsers) && !rt.byAppID:
		rt.collection = collUsers
	case strings.EqualFold(head, collObjects) && !rt.byAppID:
		rt.collection = collObjects
	default:
		return route{}, unknownSegment(segs[0])
	}
	segs = segs[1:]
	if !rt.byAppID && len(segs) > 0 {
		rt.id, segs = segs[0], segs[1:]
		if rt.id == "" {
			return route{}, unknownSegment("")
		}
		if rt.collection == collObjects {
			// getByIds is an action on the collection, not an object.
			if !strings.EqualFold(rt.id, "getByIds") || len(segs) > 0 {
				return route{}, unknownSegment(rt.id)
			}
			rt.id, rt.action = "", "getByIds"
		}
	}
	if len(segs) > 0 {
		switch {
		case len(segs) == 1 && rt.collection == collApps && strings.EqualFold(segs[0], "addPassword"):
			rt.action = "addPassword"
		case len(segs) == 1 && rt.collection == collApps && strings.EqualFold(segs[0], "removePassword"):
			rt.action = "removePassword"
		default:
			return route{}, unknownSegment(segs[0])
		}
	}
	return rt, nil
}

func unknownSegment(seg string) *apiError {
	return errorf(http.StatusBadRequest, codeUnreadable, "Resource not found for the segment "+quoted(seg)+".")
}

func methodNotAllowed() *apiError {
	return errorf(http.StatusMethodNotAllowed, codeBadRequest, "Specified HTTP method is not allowed for the request target.")
}

// dispatch picks the handler of a route and method.
func dispatch(c *call) (int, any, *apiError) {
	rt, m := c.route, c.r.Method
	switch {
	case rt.collection == collApps && rt.id == "" && m == http.MethodPost:
		return createApplication(c)
	case rt.collection == collApps && rt.id != "" && rt.action == "" && m == http.MethodGet:
		return getApplication(c)
	case rt.collection == collApps && rt.id == "" && m == http.MethodGet:
		return listApplications(c)
	case rt.collection == collApps && rt.id != "" && rt.action == "" && m == http.MethodPatch:
		return patchApplication(c)
	case rt.collection == collApps && rt.id != "" && rt.action == "" && m == http.MethodDelete:
		return deleteApplication(c)
	case rt.collection == collApps && rt.action == "addPassword" && m == http.MethodPost:
		return addPassword(c)
	case rt.collection == collApps && rt.action == "removePassword" && m == http.MethodPost:
		return removePassword(c)
	case rt.collection == collSPs && rt.id == "" && m == http.MethodPost:
		return createServicePrincipal(c)
	case rt.collection == collSPs && rt.id == "" && m == http.MethodGet:
		return listServicePrincipals(c)
	case rt.collection == collSPs && rt.id != "" && m == http.MethodGet:
		return getServicePrincipal(c)
	case rt.collection == collSPs && rt.id != "" && m == http.MethodDelete:
		return deleteServicePrincipal(c)
	case rt.collection == collUsers && rt.id == "" && m == http.MethodGet:
		return listUsers(c)
	case rt.collection == collUsers && rt.id != "" && m == http.MethodGet:
		return getUser(c)
	case rt.collection == collObjects && rt.action == "getByIds" && m == http.MethodPost:
		return getByIds(c)
	}
	return 0, nil, methodNotAllowed()
}
