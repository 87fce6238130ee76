// Package arm simulates the parts of Azure Resource Manager at
// management.azure.com that the sandbox's lessons use: role assignments and
// role definitions (Microsoft.Authorization), subscriptions and resource
// groups, key vaults, storage accounts and their queues, and App Service
// sites (with their managed identity and function keys). ARM checks the caller's token and then its own RBAC, as Azure does.
package arm

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// maxBody bounds request bodies; ARM's own limit is 4 MB.
const maxBody = 4 << 20

// Service is ARM for every sandbox. It is an http.Handler.
type Service struct {
	reg *world.Registry
	v   *entra.Validator
}

// New returns ARM over the worlds of reg, checking tokens with v.
func New(reg *world.Registry, v *entra.Validator) *Service {
	return &Service{reg: reg, v: v}
}

// request is one parsed, authenticated request.
type request struct {
	r  *http.Request
	rw http.ResponseWriter
	c  *caller
	rt route
	q  url.Values
}

// ServeHTTP authenticates the caller, then routes.
func (s *Service) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	headers(rw, r)
	segs := segments(r.URL.Path)
	var sub string
	var subW *world.World
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		sub = segs[1]
		subW = s.reg.BySubscription(sub)
	}
	c, ok := s.authenticate(rw, r, subW)
	if !ok {
		return
	}
	if sub != "" && subW == nil {
		if uuid.Validate(sub) != nil {
			writeError(rw, errorf(http.StatusBadRequest, "InvalidSubscriptionId",
				"The provided subscription identifier '"+sub+"' is malformed or invalid."))
			return
		}
		writeError(rw, errorf(http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+sub+"' could not be found."))
		return
	}
	rt, aerr := parseRoute(segs)
	if aerr != nil {
		writeError(rw, aerr)
		return
	}
	q, _ := url.ParseQuery(r.URL.RawQuery) // what parses is used; the rest is ignored as ARM does
	if aerr := checkAPIVersion(q, rt.kind); aerr != nil {
		writeError(rw, aerr)
		return
	}
	req := &request{r: r, rw: rw, c: c, rt: rt, q: q}
	if aerr := s.dispatch(req); aerr != nil {
		writeError(rw, aerr)
	}
}

// handler serves one kind of request; it writes success itself and returns
// an error for the caller to write.
type handler func(*request) *armError

func (s *Service) dispatch(req *request) *armError {
	m := req.r.Method
	var h handler
	switch req.rt.kind {
	case kRoleAssignment:
		h = pick(m, s.getRoleAssignment, s.putRoleAssignment, nil, s.deleteRoleAssignment)
	case kRoleAssignments:
		h = pick(m, s.listRoleAssignments, nil, nil, nil)
	case kRoleDefinition:
		h = pick(m, s.getRoleDefinition, nil, nil, nil)
	case kRoleDefinitions:
		h = pick(m, s.listRoleDefinitions, nil, nil, nil)
	case kPermissions:
		h = pick(m, s.listPermissions, nil, nil, nil)
	case kSubscriptions:
		h = pick(m, s.listSubscriptions, nil, nil, nil)
	case kSubscription:
		h = pick(m, s.getSubscription, nil, nil, nil)
	case kTenants:
		h = pick(m, s.listTenants, nil, nil, nil)
	case kResourceGroups:
		h = pick(m, s.listResourceGroups, nil, nil, nil)
	case kResources:
		h = pick(m, s.listResources, nil, nil, nil)
	case kResourceGroup:
		h = pick(m, s.getResourceGroup, s.putResourceGroup, s.patchResourceGroup, s.deleteResourceGroup)
	case kVault:
		h = pick(m, s.getVault, s.putVault, s.patchVault, s.deleteVault)
	case kVaultAccessPolicies:
		h = pick(m, nil, s.putAccessPolicies, nil, nil)
	case kVaultSecret:
		h = pick(m, nil, s.putVaultSecret, nil, nil)
	case kSite:
		h = pick(m, s.getSite, s.putSite, s.patchSite, nil)
	case kSiteHostKeys:
		if m == http.MethodPost {
			h = s.listHostKeys
		}
	case kSiteAppSettingsList:
		if m == http.MethodPost {
			h = s.listAppSettings
		}
	case kSiteAppSettings:
		h = pick(m, nil, s.putAppSettings, nil, nil)
	case kSiteSlotConfigNames:
		h = pick(m, s.getSlotConfigNames, nil, nil, nil)
	case kStorageAccounts:
		h = pick(m, s.listStorageAccounts, nil, nil, nil)
	case kStorageAccount:
		h = pick(m, s.getStorageAccount, s.putStorageAccount, nil, nil)
	case kQueue:
		h = pick(m, s.getQueue, s.putQueue, nil, nil)
	}
	if h == nil {
		return errMethod(m)
	}
	return h(req)
}

func pick(method string, get, put, patch, del handler) handler {
	switch method {
	case http.MethodGet:
		return get
	case http.MethodPut:
		return put
	case http.MethodPatch:
		return patch
	case http.MethodDelete:
		return del
	}
	return nil
}

// readBody reads a non-empty request body of at most maxBody bytes.
func readBody(r *http.Request) ([]byte, *armError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errBadJSON(err)
	}
	if len(b) > maxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request content size exceeds the maximum allowed size of 4 MB.")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, errBadJSON(errors.New("the request body is empty"))
	}
	return b, nil
}

// decode reads a JSON request body into v.
func decode(r *http.Request, v any) *armError {
	b, aerr := readBody(r)
	if aerr != nil {
		return aerr
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errBadJSON(err)
	}
	return nil
}
