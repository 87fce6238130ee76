package rbac

import (
	"errors"
	"fmt"
	"strings"
)

// Scope levels.
const (
	LevelRoot            = "root"
	LevelManagementGroup = "managementGroup"
	LevelSubscription    = "subscription"
	LevelResourceGroup   = "resourceGroup"
	LevelResource        = "resource"
)

// Resource is one typed resource in a scope path: a top-level resource
// (vaults/kv1) or a child of the one before it (secrets/s1).
type Resource struct {
	Namespace string // e.g. Microsoft.KeyVault
	Type      string // e.g. vaults, secrets, queueServices
	Name      string
	// end is the number of scope segments up to and including Name.
	end int
}

// Scope is a parsed ARM scope (a resource ID or one of its ancestors).
type Scope struct {
	// Segments are the non-empty path segments as given.
	Segments        []string
	Level           string
	ManagementGroup string
	Subscription    string
	ResourceGroup   string
	// Resources are the typed resources from outermost to innermost.
	Resources []Resource
}

// ErrInvalidScope is wrapped by every ParseScope error.
var ErrInvalidScope = errors.New("invalid scope")

// ParseScope parses an ARM scope: "/", a management group, a subscription,
// a resource group, or a resource (with child resources, and extension
// resources after a further /providers/{namespace}). A trailing slash is
// ignored; empty segments are not.
func ParseScope(scope string) (Scope, error) {
	bad := func(why string) (Scope, error) {
		return Scope{}, fmt.Errorf("rbac: parse scope %q: %s: %w", scope, why, ErrInvalidScope)
	}
	if !strings.HasPrefix(scope, "/") {
		return bad("must start with '/'")
	}
	trimmed := strings.TrimSuffix(scope[1:], "/")
	s := Scope{Level: LevelRoot}
	if trimmed == "" {
		return s, nil
	}
	segs := strings.Split(trimmed, "/")
	for _, g := range segs {
		if g == "" {
			return bad("empty segment")
		}
	}
	s.Segments = segs
	i := 0
	switch {
	case strings.EqualFold(segs[0], "subscriptions"):
		if len(segs) < 2 {
			return bad("subscription ID missing")
		}
		s.Subscription, s.Level, i = segs[1], LevelSubscription, 2
		if i < len(segs) && strings.EqualFold(segs[i], "resourceGroups") {
			if i+1 >= len(segs) {
				return bad("resource group name missing")
			}
			s.ResourceGroup, s.Level, i = segs[i+1], LevelResourceGroup, i+2
		}
	case strings.EqualFold(segs[0], "providers") && len(segs) >= 4 &&
		strings.EqualFold(segs[1], "Microsoft.Management") && strings.EqualFold(segs[2], "managementGroups"):
		s.ManagementGroup, s.Level, i = segs[3], LevelManagementGroup, 4
	case strings.EqualFold(segs[0], "providers"):
		// Tenant-level provider resources, e.g. /providers/Microsoft.Authorization/roleDefinitions/{id}.
	default:
		return bad("unknown first segment " + quote(segs[0]))
	}
	ns := ""
	for i < len(segs) {
		if strings.EqualFold(segs[i], "providers") {
			if i+1 >= len(segs) {
				return bad("resource provider namespace missing")
			}
			ns, i = segs[i+1], i+2
			if i >= len(segs) {
				return bad("resource type missing")
			}
			continue
		}
		if ns == "" {
			return bad("expected 'providers' at " + quote(segs[i]))
		}
		if i+1 >= len(segs) {
			return bad("resource name missing after type " + quote(segs[i]))
		}
		s.Resources = append(s.Resources, Resource{Namespace: ns, Type: segs[i], Name: segs[i+1], end: i + 2})
		s.Level = LevelResource
		i += 2
	}
	return s, nil
}

func quote(s string) string { return "'" + s + "'" }

// String is the canonical form of the scope: "/" or "/seg/seg...".
func (s Scope) String() string {
	if len(s.Segments) == 0 {
		return "/"
	}
	return "/" + strings.Join(s.Segments, "/")
}

// Contains reports whether s is o or an ancestor of o (segments compared
// case-insensitively).
func (s Scope) Contains(o Scope) bool {
	if len(s.Segments) > len(o.Segments) {
		return false
	}
	for i, g := range s.Segments {
		if !strings.EqualFold(g, o.Segments[i]) {
			return false
		}
	}
	return true
}

// Prefix returns the scope down to and including the n-th resource (1-based).
func (s Scope) Prefix(n int) string {
	if n <= 0 || len(s.Resources) == 0 {
		return s.String()
	}
	n = min(n, len(s.Resources))
	return "/" + strings.Join(s.Segments[:s.Resources[n-1].end], "/")
}

// nextSegment returns the next non-empty segment of path at or after i and the
// index just past it; seg is "" at the end.
func nextSegment(path string, i int) (seg string, next int) {
	for i < len(path) && path[i] == '/' {
		i++
	}
	j := i
	for j < len(path) && path[j] != '/' {
		j++
	}
	return path[i:j], j
}

// ScopeContains reports whether ancestor is scope or one of its ancestors,
// comparing whole path segments case-insensitively, so
// /resourceGroups/rg1 does not contain /resourceGroups/rg10. It does not
// allocate (Authorize calls it for every candidate assignment).
func ScopeContains(ancestor, scope string) bool {
	i, j := 0, 0
	for {
		a, ni := nextSegment(ancestor, i)
		if a == "" {
			return true
		}
		b, nj := nextSegment(scope, j)
		if b == "" || !strings.EqualFold(a, b) {
			return false
		}
		i, j = ni, nj
	}
}

// scopeDepth counts the segments of a scope.
func scopeDepth(scope string) int {
	n := 0
	for i := 0; ; {
		seg, next := nextSegment(scope, i)
		if seg == "" {
			return n
		}
		n++
		i = next
	}
}

// truncateScope returns the first n segments of scope as a scope string.
func truncateScope(scope string, n int) string {
	end := 0
	for i := 0; n > 0; n-- {
		seg, next := nextSegment(scope, i)
		if seg == "" {
			break
		}
		end, i = next, next
	}
	if end == 0 {
		return "/"
	}
	return scope[:end]
}

// typeWord is the plain word for a resource type. It compares with
// EqualFold rather than lower-casing, so it does not allocate.
func typeWord(t string) (string, bool) {
	eq := strings.EqualFold
	switch {
	case eq(t, "vaults"):
		return "vault", true
	case eq(t, "secrets"):
		return "secret", true
	case eq(t, "keys"):
		return "key", true
	case eq(t, "certificates"):
		return "certificate", true
	case eq(t, "storageAccounts"):
		return "storage account", true
	case eq(t, "queueServices"):
		return "queue service", true
	case eq(t, "queues"):
		return "queue", true
	case eq(t, "blobServices"):
		return "blob service", true
	case eq(t, "containers"):
		return "container", true
	case eq(t, "sites"):
		return "site", true
	case eq(t, "userAssignedIdentities"):
		return "user-assigned identity", true
	case eq(t, "virtualMachines"):
		return "virtual machine", true
	}
	return "", false
}

// DescribeScope names a scope for a learner: "the subscription", "the
// resource group auth-scenario-rg", "the vault kv1", "the secret s". It
// reads the last two segments from the end, as explanations call it often.
func DescribeScope(scope string) string {
	s := strings.TrimRight(scope, "/")
	if s == "" {
		return "the root scope (/)"
	}
	i := strings.LastIndexByte(s, '/')
	name, rest := s[i+1:], strings.TrimRight(s[:max(i, 0)], "/")
	typ := rest[strings.LastIndexByte(rest, '/')+1:]
	var n int
	if s[0] == '/' && !strings.Contains(s, "//") {
		n = strings.Count(s, "/")
	} else {
		n = scopeDepth(s)
	}
	switch {
	case n == 2 && strings.EqualFold(typ, "subscriptions"):
		return "the subscription"
	case n == 4 && strings.EqualFold(typ, "resourceGroups"):
		return "the resource group " + name
	case n == 4 && strings.EqualFold(typ, "managementGroups"):
		return "the management group " + name
	case n%2 == 1:
		return "the scope " + scope
	}
	if word, ok := typeWord(typ); ok {
		return "the " + word + " " + name
	}
	return "the " + typ + " " + name
}
