package arm

import (
	"net/http"
	"sort"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// genericJSON is one entry of ARM's generic resource list
// (GET /subscriptions/{id}[/resourceGroups/{rg}]/resources), the index az
// uses to find a resource's group from its name (`az keyvault show -n`).
type genericJSON struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Kind     string            `json:"kind,omitempty"`
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags,omitempty"`
	Identity *identityJSON     `json:"identity,omitempty"`

	rg   string // for $filter resourceGroup
	read string // the read action that lets a caller see it
}

// genericResources lists every resource of the world, in ARM's order (by ID).
func genericResources(st *world.State) []genericJSON {
	var out []genericJSON
	for _, v := range st.Vaults {
		out = append(out, genericJSON{ID: st.VaultID(v), Name: v.Name, Type: "Microsoft.KeyVault/vaults",
			Location: v.Location, rg: v.ResourceGroup, read: actVaultRead})
	}
	for _, a := range st.StorageAccounts {
		out = append(out, genericJSON{ID: st.StorageAccountID(a), Name: a.Name, Type: "Microsoft.Storage/storageAccounts",
			Kind: "StorageV2", Location: a.Location, rg: a.ResourceGroup, read: actStorageRead})
	}
	for _, s := range st.Sites {
		v := siteView(st, s)
		g := genericJSON{ID: v.ID, Name: s.Name, Type: v.Type, Kind: v.Kind, Location: s.Location,
			Identity: v.Identity, rg: s.ResourceGroup, read: actSiteRead}
		if s.Kind == "vm" {
			g.Type, g.Kind = "Microsoft.Compute/virtualMachines", ""
			g.read = "Microsoft.Compute/virtualMachines/read"
		}
		out = append(out, g)
	}
	for _, p := range st.Principals {
		if p.Kind != world.KindUserAssigned || p.ResourceID == "" {
			continue
		}
		// .../resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}
		segs := segments(p.ResourceID)
		if len(segs) != 8 {
			continue
		}
		out = append(out, genericJSON{ID: p.ResourceID, Name: segs[7], Type: "Microsoft.ManagedIdentity/userAssignedIdentities",
			Location: st.Location, rg: segs[3], read: "Microsoft.ManagedIdentity/userAssignedIdentities/read"})
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].ID) < strings.ToLower(out[j].ID) })
	return out
}

// listResources answers the generic resource list at the subscription or a
// resource group: the resources the caller may read, filtered by $filter.
// A filter the sandbox cannot evaluate is refused as ARM refuses a malformed
// one, rather than answered unfiltered (a client would take every entry as
// a match).
func (s *Service) listResources(req *request) *armError {
	var match func(genericJSON) bool
	if f := req.q.Get("$filter"); strings.TrimSpace(f) != "" {
		var ok bool
		if match, ok = parseResourceFilter(f); !ok {
			return errorf(http.StatusBadRequest, "InvalidFilterInQueryString",
				"Invalid $filter '"+f+"' specified in the query string.")
		}
	}
	var all []genericJSON
	var aerr *armError
	req.c.w.View(func(st *world.State) {
		if req.rt.rg != "" {
			if aerr = needRG(st, req.rt.rg); aerr != nil {
				return
			}
		}
		all = genericResources(st)
	})
	if aerr != nil {
		return aerr
	}
	out := []genericJSON{}
	for _, g := range all {
		if req.rt.rg != "" && !strings.EqualFold(g.rg, req.rt.rg) {
			continue
		}
		if match != nil && !match(g) {
			continue
		}
		if req.c.canRead(g.read, g.ID) {
			out = append(out, g)
		}
	}
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out})
	return nil
}

// parseResourceFilter compiles the part of ARM's resource $filter grammar
// the CLI and SDKs send: `field eq 'value'` on resourceType, name,
// resourceGroup and location, `substringof('value', name)`, joined by `and`
// and `or` (and binds tighter) with parentheses.
func parseResourceFilter(s string) (func(genericJSON) bool, bool) {
	p := &filterParser{toks: tokenizeFilter(s)}
	if p.toks == nil {
		return nil, false
	}
	m, ok := p.or()
	if !ok || p.i != len(p.toks) {
		return nil, false
	}
	return m, true
}

type filterParser struct {
	toks []string
	i    int
}

func (p *filterParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *filterParser) next() string {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *filterParser) or() (func(genericJSON) bool, bool) {
	left, ok := p.and()
	for ok && strings.EqualFold(p.peek(), "or") {
		p.next()
		right, rok := p.and()
		if !rok {
			return nil, false
		}
		l := left
		left = func(g genericJSON) bool { return l(g) || right(g) }
	}
	return left, ok
}

func (p *filterParser) and() (func(genericJSON) bool, bool) {
	left, ok := p.term()
	for ok && strings.EqualFold(p.peek(), "and") {
		p.next()
		right, rok := p.term()
		if !rok {
			return nil, false
		}
		l := left
		left = func(g genericJSON) bool { return l(g) && right(g) }
	}
	return left, ok
}

func (p *filterParser) term() (func(genericJSON) bool, bool) {
	switch t := p.next(); {
	case t == "(":
		m, ok := p.or()
		if !ok || p.next() != ")" {
			return nil, false
		}
		return m, true
	case strings.EqualFold(t, "substringof"):
		if p.next() != "(" {
			return nil, false
		}
		v, ok := literal(p.next())
		if !ok || p.next() != "," {
			return nil, false
		}
		get := field(p.next())
		if get == nil || p.next() != ")" {
			return nil, false
		}
		v = strings.ToLower(v)
		return func(g genericJSON) bool { return strings.Contains(strings.ToLower(get(g)), v) }, true
	default:
		get := field(t)
		if get == nil || !strings.EqualFold(p.next(), "eq") {
			return nil, false
		}
		v, ok := literal(p.next())
		if !ok {
			return nil, false
		}
		return func(g genericJSON) bool { return strings.EqualFold(get(g), v) }, true
	}
}

// field returns the accessor of a filterable property (ARM compares them
// case-insensitively).
func field(name string) func(genericJSON) string {
	switch strings.ToLower(name) {
	case "resourcetype":
		return func(g genericJSON) string { return g.Type }
	case "name":
		return func(g genericJSON) string { return g.Name }
	case "resourcegroup":
		return func(g genericJSON) string { return g.rg }
	case "location":
		return func(g genericJSON) string { return g.Location }
	}
	return nil
}

// literal unquotes an OData string ('it”s' → it's).
func literal(t string) (string, bool) {
	if len(t) < 2 || t[0] != '\'' || t[len(t)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(t[1:len(t)-1], "''", "'"), true
}

// tokenizeFilter splits an OData filter into words, quoted strings and the
// punctuation ( ) ,; nil when a quote is not closed.
func tokenizeFilter(s string) []string {
	toks := []string{}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for {
				if j >= len(s) {
					return nil
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t(),'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}
