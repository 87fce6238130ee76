package graph

import (
	"net/http"
	"net/url"
	"strings"
)

// fields gives a directory object's filterable properties (lower-case name
// → values; a collection property has several).
type fields func(prop string) (values []string, ok bool)

// filter is a compiled $filter: true when an object matches.
type filter func(fields) bool

// parseFilter compiles the $filter clauses az and the SDKs send:
//
//	appId eq '…'                                  (and displayName, userPrincipalName, mail)
//	startswith(displayName,'…')                   (az ad sp create-for-rbac, az ad sp list --display-name)
//	servicePrincipalNames/any(c:c eq '…')        (az role assignment --assignee, az ad sp show)
//	identifierUris/any(s:s eq '…')
//
// joined by `and`/`or`. Graph compares these strings case-insensitively.
// known lists the properties the collection filters on; another property is
// Graph's "Unsupported or invalid query filter clause" for resource.
func parseFilter(raw, resource string, known ...string) (filter, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	toks, ok := tokenize(raw)
	if !ok {
		return nil, invalidFilter()
	}
	p := &filterParser{toks: toks, resource: resource, known: known}
	f, e := p.or()
	if e == nil && p.i != len(p.toks) {
		e = invalidFilter()
	}
	return f, e
}

func invalidFilter() *apiError {
	return errorf(http.StatusBadRequest, codeUnreadable, "Invalid filter clause")
}

type filterParser struct {
	toks     []string
	i        int
	resource string
	known    []string
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

func (p *filterParser) expect(tok string) bool { return strings.EqualFold(p.next(), tok) }

func (p *filterParser) or() (filter, *apiError) {
	left, e := p.and()
	for e == nil && strings.EqualFold(p.peek(), "or") {
		p.next()
		right, re := p.and()
		if re != nil {
			return nil, re
		}
		l := left
		left = func(f fields) bool { return l(f) || right(f) }
	}
	return left, e
}

func (p *filterParser) and() (filter, *apiError) {
	left, e := p.term()
	for e == nil && strings.EqualFold(p.peek(), "and") {
		p.next()
		right, re := p.term()
		if re != nil {
			return nil, re
		}
		l := left
		left = func(f fields) bool { return l(f) && right(f) }
	}
	return left, e
}

// property checks that prop is one the collection filters on.
func (p *filterParser) property(prop string) (string, *apiError) {
	for _, k := range p.known {
		if strings.EqualFold(k, prop) {
			return strings.ToLower(k), nil
		}
	}
	if prop == "" || strings.ContainsAny(prop, "()',:") {
		return "", invalidFilter()
	}
	return "", errorf(http.StatusBadRequest, "Request_UnsupportedQuery",
		"Unsupported or invalid query filter clause specified for property '"+prop+"' of resource '"+p.resource+"'.")
}

func (p *filterParser) term() (filter, *apiError) {
	t := p.next()
	switch {
	case t == "(":
		f, e := p.or()
		if e == nil && !p.expect(")") {
			e = invalidFilter()
		}
		return f, e
	case strings.EqualFold(t, "startswith"):
		if !p.expect("(") {
			return nil, invalidFilter()
		}
		prop, e := p.property(p.next())
		if e != nil {
			return nil, e
		}
		if !p.expect(",") {
			return nil, invalidFilter()
		}
		v, ok := literal(p.next())
		if !ok || !p.expect(")") {
			return nil, invalidFilter()
		}
		v = strings.ToLower(v)
		return func(f fields) bool {
			vals, _ := f(prop)
			for _, s := range vals {
				if strings.HasPrefix(strings.ToLower(s), v) {
					return true
				}
			}
			return false
		}, nil
	}
	prop, e := p.property(t)
	if e != nil {
		return nil, e
	}
	if p.peek() == "/" { // lambda: coll/any(c:c eq '…')
		p.next()
		if !p.expect("any") || !p.expect("(") {
			return nil, invalidFilter()
		}
		v1 := p.next()
		if !p.expect(":") || !strings.EqualFold(p.next(), v1) || !p.expect("eq") {
			return nil, invalidFilter()
		}
		v, ok := literal(p.next())
		if !ok || !p.expect(")") {
			return nil, invalidFilter()
		}
		return eq(prop, v), nil
	}
	if !p.expect("eq") {
		return nil, invalidFilter()
	}
	v, ok := literal(p.next())
	if !ok {
		return nil, invalidFilter()
	}
	return eq(prop, v), nil
}

func eq(prop, v string) filter {
	return func(f fields) bool {
		vals, _ := f(prop)
		for _, s := range vals {
			if strings.EqualFold(s, v) {
				return true
			}
		}
		return false
	}
}

// literal unquotes an OData string ('it”s' → it's); az also URL-encodes
// some values it puts in filters.
func literal(t string) (string, bool) {
	if len(t) < 2 || t[0] != '\'' || t[len(t)-1] != '\'' {
		return "", false
	}
	v := strings.ReplaceAll(t[1:len(t)-1], "''", "'")
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	return v, true
}

// tokenize splits a filter into words, quoted strings and ( ) , : /.
func tokenize(s string) ([]string, bool) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.IndexByte("(),:/", c) >= 0:
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for {
				if j >= len(s) {
					return nil, false
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
			for j < len(s) && strings.IndexByte(" \t(),:/'", s[j]) < 0 {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, len(toks) > 0
}
