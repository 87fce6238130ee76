package arm

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

type kind int

const (
	kRoleAssignments kind = iota + 1
	kRoleAssignment
	kRoleDefinitions
	kRoleDefinition
	kPermissions
	kSubscriptions
	kSubscription
	kResourceGroups
	kResourceGroup
	kVault
	kVaultAccessPolicies
	kVaultSecret
	kSite
	kSiteHostKeys
	kStorageAccount
	kQueue
	kResources
	kTenants
	kSiteAppSettingsList
	kSiteAppSettings
	kSiteSlotConfigNames
	kStorageAccounts
)

// route is a parsed ARM request path.
type route struct {
	kind kind
	// path is the request path with empty segments dropped, as ARM names
	// the addressed resource in its messages.
	path string
	// scope is the scope of a role assignment or definition request ("/" at
	// the tenant).
	scope string
	sub   string
	rg    string
	name  string // assignment/definition GUID, vault, site or storage account name
	op    string // access policy operation kind
	child string // queue name
}

// segments splits a path into its non-empty segments: the SDKs join
// "/{scope}" with a scope that starts with a slash, so "//" occurs.
func segments(path string) []string {
	var out []string
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func join(segs []string) string { return "/" + strings.Join(segs, "/") }

// parseRoute maps a path to what it addresses. It never panics on any
// input; what it cannot place is a 404 (or 400 for a malformed scope).
func parseRoute(segs []string) (route, *armError) {
	rt := route{path: join(segs)}
	eq := strings.EqualFold
	// Extension resources first: {scope}/providers/Microsoft.Authorization/role*.
	for i := len(segs) - 3; i >= 0; i-- {
		if !eq(segs[i], "providers") || !eq(segs[i+1], "Microsoft.Authorization") {
			continue
		}
		var list, item kind
		switch {
		case eq(segs[i+2], "roleAssignments"):
			list, item = kRoleAssignments, kRoleAssignment
		case eq(segs[i+2], "roleDefinitions"):
			list, item = kRoleDefinitions, kRoleDefinition
		case eq(segs[i+2], "permissions") && i+3 == len(segs):
			list = kPermissions
		default:
			continue
		}
		rt.scope = join(segs[:i])
		if _, err := rbac.ParseScope(rt.scope); err != nil {
			return rt, errorf(http.StatusBadRequest, "InvalidScope", "The scope '"+rt.scope+"' is not valid.")
		}
		if len(segs) >= 2 && eq(segs[0], "subscriptions") {
			rt.sub = segs[1]
		}
		switch rest := segs[i+3:]; len(rest) {
		case 0:
			rt.kind = list
		case 1:
			rt.kind, rt.name = item, rest[0]
		default:
			return rt, errNotFoundPath(rt.path)
		}
		return rt, nil
	}
	if len(segs) == 1 && eq(segs[0], "tenants") {
		rt.kind = kTenants
		return rt, nil
	}
	if len(segs) == 0 || !eq(segs[0], "subscriptions") {
		return rt, errNotFoundPath(rt.path)
	}
	switch {
	case len(segs) == 1:
		rt.kind = kSubscriptions
		return rt, nil
	case len(segs) == 2:
		rt.kind, rt.sub = kSubscription, segs[1]
		return rt, nil
	case len(segs) == 3 && eq(segs[2], "resources"):
		rt.kind, rt.sub = kResources, segs[1]
		return rt, nil
	case len(segs) == 5 && eq(segs[2], "providers") && eq(segs[3], "Microsoft.Storage") && eq(segs[4], "storageAccounts"):
		rt.kind, rt.sub = kStorageAccounts, segs[1]
		return rt, nil
	case !eq(segs[2], "resourceGroups"):
		return rt, errNotFoundPath(rt.path)
	}
	rt.sub = segs[1]
	switch {
	case len(segs) == 3:
		rt.kind = kResourceGroups
		return rt, nil
	case len(segs) == 4:
		rt.kind, rt.rg = kResourceGroup, segs[3]
		return rt, nil
	case len(segs) == 5 && eq(segs[4], "resources"):
		rt.kind, rt.rg = kResources, segs[3]
		return rt, nil
	case len(segs) == 7 && eq(segs[4], "providers") && eq(segs[5], "Microsoft.Storage") && eq(segs[6], "storageAccounts"):
		rt.kind, rt.rg = kStorageAccounts, segs[3]
		return rt, nil
	case len(segs) < 8 || !eq(segs[4], "providers"):
		return rt, errNotFoundPath(rt.path)
	}
	rt.rg, rt.name = segs[3], segs[7]
	ns, typ := segs[5], segs[6]
	switch {
	case eq(ns, "Microsoft.KeyVault") && eq(typ, "vaults") && len(segs) == 8:
		rt.kind = kVault
	case eq(ns, "Microsoft.KeyVault") && eq(typ, "vaults") && len(segs) == 10 && eq(segs[8], "accessPolicies"):
		rt.kind, rt.op = kVaultAccessPolicies, segs[9]
	case eq(ns, "Microsoft.KeyVault") && eq(typ, "vaults") && len(segs) == 10 && eq(segs[8], "secrets"):
		rt.kind, rt.child = kVaultSecret, segs[9]
	case eq(ns, "Microsoft.Web") && eq(typ, "sites") && len(segs) == 8:
		rt.kind = kSite
	case eq(ns, "Microsoft.Web") && eq(typ, "sites") && len(segs) == 11 &&
		eq(segs[8], "host") && eq(segs[9], "default") && eq(segs[10], "listkeys"):
		rt.kind = kSiteHostKeys
	case eq(ns, "Microsoft.Web") && eq(typ, "sites") && len(segs) == 11 &&
		eq(segs[8], "config") && eq(segs[9], "appsettings") && eq(segs[10], "list"):
		rt.kind = kSiteAppSettingsList
	case eq(ns, "Microsoft.Web") && eq(typ, "sites") && len(segs) == 10 && eq(segs[8], "config") && eq(segs[9], "appsettings"):
		rt.kind = kSiteAppSettings
	case eq(ns, "Microsoft.Web") && eq(typ, "sites") && len(segs) == 10 && eq(segs[8], "config") && eq(segs[9], "slotConfigNames"):
		rt.kind = kSiteSlotConfigNames
	case eq(ns, "Microsoft.Storage") && eq(typ, "storageAccounts") && len(segs) == 8:
		rt.kind = kStorageAccount
	case eq(ns, "Microsoft.Storage") && eq(typ, "storageAccounts") && len(segs) == 12 &&
		eq(segs[8], "queueServices") && eq(segs[9], "default") && eq(segs[10], "queues"):
		rt.kind, rt.child = kQueue, segs[11]
	default:
		return rt, errorf(http.StatusNotFound, "InvalidResourceType",
			"The resource type '"+typ+"' could not be found in the namespace '"+ns+"' for the path '"+rt.path+"'.")
	}
	return rt, nil
}

// apiVersions lists the api-versions each kind of request accepts.
func apiVersions(k kind) []string {
	switch k {
	case kRoleAssignments, kRoleAssignment:
		return []string{"2015-07-01", "2017-10-01-preview", "2018-01-01-preview", "2018-09-01-preview", "2020-03-01-preview",
			"2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview", "2021-04-01-preview", "2022-01-01-preview", "2022-04-01"}
	case kRoleDefinitions, kRoleDefinition, kPermissions:
		return []string{"2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview"}
	case kSubscriptions, kSubscription, kTenants:
		return []string{"2016-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-09-01", "2022-12-01"}
	case kResources:
		// The Key Vault SDK lists vaults through this index with 2015-11-01.
		return append([]string{"2015-11-01", "2016-02-01", "2016-09-01", "2017-05-10", "2018-02-01", "2018-05-01"},
			apiVersions(kResourceGroups)...)
	case kResourceGroups, kResourceGroup:
		return []string{"2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01", "2019-10-01", "2020-06-01", "2020-08-01",
			"2020-10-01", "2021-01-01", "2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01"}
	case kVault, kVaultAccessPolicies, kVaultSecret:
		return []string{"2019-09-01", "2021-10-01", "2022-07-01", "2023-02-01", "2023-07-01", "2024-11-01", "2024-12-01-preview",
			"2025-05-01", "2026-02-01"}
	case kStorageAccount, kQueue, kStorageAccounts:
		return []string{"2021-09-01", "2022-05-01", "2022-09-01", "2023-01-01", "2023-04-01", "2023-05-01", "2024-01-01", "2025-01-01"}
	case kSite, kSiteHostKeys, kSiteAppSettingsList, kSiteAppSettings, kSiteSlotConfigNames:
		return []string{"2021-02-01", "2022-03-01", "2022-09-01", "2023-01-01", "2023-12-01", "2024-04-01", "2024-11-01"}
	}
	return nil
}

func checkAPIVersion(q url.Values, k kind) *armError {
	v := q.Get("api-version")
	if v == "" {
		return errorf(http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
	}
	supported := apiVersions(k)
	for _, s := range supported {
		if strings.EqualFold(s, v) {
			return nil
		}
	}
	return errorf(http.StatusBadRequest, "InvalidApiVersionParameter",
		"The api-version '"+v+"' is invalid. The supported versions are '"+strings.Join(supported, ",")+"'.")
}
