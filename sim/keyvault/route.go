package keyvault

import (
	"net/http"
	"strings"
)

// opKind is one Key Vault secrets operation.
type opKind int

const (
	opGet opKind = iota + 1
	opSet
	opUpdate
	opDelete
	opList
	opVersions
	opListDeleted
	opGetDeleted
	opRecover
	opPurge
)

// spec says what an operation needs: the RBAC data action, the access-policy
// secret permission, and whether it targets one secret (the RBAC scope).
type spec struct {
	dataAction string
	permission string
	perSecret  bool
}

const actionPrefix = "Microsoft.KeyVault/vaults/secrets/"

func (k opKind) spec() spec {
	switch k {
	case opGet:
		return spec{actionPrefix + "getSecret/action", "get", true}
	case opSet:
		return spec{actionPrefix + "setSecret/action", "set", true}
	case opUpdate:
		// Access policies have no "update" permission: updating takes "set".
		return spec{actionPrefix + "update/action", "set", true}
	case opDelete:
		return spec{actionPrefix + "delete", "delete", true}
	case opList:
		return spec{actionPrefix + "readMetadata/action", "list", false}
	case opVersions:
		return spec{actionPrefix + "readMetadata/action", "list", true}
	case opListDeleted:
		return spec{actionPrefix + "readMetadata/action", "list", false}
	case opGetDeleted:
		return spec{actionPrefix + "readMetadata/action", "list", true}
	case opRecover:
		return spec{actionPrefix + "recover/action", "recover", true}
	case opPurge:
		return spec{actionPrefix + "purge/action", "purge", true}
	}
	return spec{}
}

// op is a parsed request: which operation, on which secret and version.
type op struct {
	kind    opKind
	name    string
	version string
}

// route maps method and path to an operation, or to Key Vault's 4xx.
// Collection segments compare case-insensitively, as Key Vault's routes do;
// a trailing slash after the name means "no version" (the SDK sends
// /secrets/{name}/ for the latest version).
func route(method, path string) (op, *apiError) {
	segs := strings.Split(strings.TrimLeft(path, "/"), "/")
	coll := strings.ToLower(segs[0])
	n := len(segs)
	var o op
	switch coll {
	case "secrets":
		switch {
		case n == 1 || (n == 2 && segs[1] == ""):
			return allow(method, op{kind: opList}, http.MethodGet)
		case n == 2 && strings.EqualFold(segs[1], "restore") && method == http.MethodPost:
			return o, unsupported("restore")
		case n == 2:
			o = op{name: segs[1]}
			switch method {
			case http.MethodGet:
				o.kind = opGet
			case http.MethodPut:
				o.kind = opSet
			case http.MethodDelete:
				o.kind = opDelete
			default: // PATCH needs a version segment, even an empty one
				return o, methodNotAllowed(method)
			}
			return o, nil
		case n == 3 && strings.EqualFold(segs[2], "versions"):
			return allow(method, op{kind: opVersions, name: segs[1]}, http.MethodGet)
		case n == 3 && strings.EqualFold(segs[2], "backup") && method == http.MethodPost:
			return o, unsupported("backup")
		case n == 3 || (n == 4 && segs[3] == ""):
			o = op{name: segs[1], version: segs[2]}
			switch method {
			case http.MethodGet:
				o.kind = opGet
			case http.MethodPatch:
				o.kind = opUpdate
			case http.MethodPut, http.MethodDelete:
				if o.version != "" {
					return o, methodNotAllowed(method)
				}
				o.kind = opSet
				if method == http.MethodDelete {
					o.kind = opDelete
				}
			default:
				return o, methodNotAllowed(method)
			}
			return o, nil
		}
	case "deletedsecrets":
		switch {
		case n == 1 || (n == 2 && segs[1] == ""):
			return allow(method, op{kind: opListDeleted}, http.MethodGet)
		case n == 2 || (n == 3 && segs[2] == ""):
			o = op{name: segs[1]}
			switch method {
			case http.MethodGet:
				o.kind = opGetDeleted
			case http.MethodDelete:
				o.kind = opPurge
			default:
				return o, methodNotAllowed(method)
			}
			return o, nil
		case n == 3 && strings.EqualFold(segs[2], "recover"):
			return allow(method, op{kind: opRecover, name: segs[1]}, http.MethodPost)
		}
	case "keys", "deletedkeys", "certificates", "deletedcertificates", "storage", "deletedstorage", "rng":
		return o, unsupported(coll)
	}
	return o, &apiError{status: http.StatusNotFound, code: "NotFound",
		message: "The requested resource " + strings.TrimRight(path, "/") + " was not found."}
}

func allow(method string, o op, want string) (op, *apiError) {
	if method != want {
		return o, methodNotAllowed(method)
	}
	return o, nil
}

// methodNotAllowed mirrors ASP.NET Web API, which Key Vault runs on.
func methodNotAllowed(method string) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed",
		message: "The requested resource does not support http method '" + sanitize(method) + "'."}
}

func unsupported(what string) *apiError {
	return badParameter("The sandbox's simulated Key Vault supports secrets only; '" + what + "' operations are not available here.")
}

// validName enforces Key Vault's object name rule: 1-127 of 0-9 a-z A-Z -.
func validName(name string) bool {
	if name == "" || len(name) > 127 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// validVersion accepts Key Vault's 32-character hex versions.
func validVersion(v string) bool {
	if len(v) != 32 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// sanitize keeps echoed request text short and printable.
func sanitize(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
