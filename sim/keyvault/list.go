package keyvault

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// pageSize is Key Vault's default (and largest) page.
const pageSize = 25

// paging is a list request's position: where to start and how many to send.
type paging struct {
	offset int
	max    int
	asked  bool // the client sent maxresults; echoed in nextLink as Key Vault does
}

func readPaging(r *http.Request) (paging, *apiError) {
	q := r.URL.Query()
	p := paging{max: pageSize}
	if q.Has("maxresults") {
		n, err := strconv.Atoi(q.Get("maxresults"))
		if err != nil || n < 1 || n > pageSize {
			return p, badParameter("Invalid maxresults: " + sanitize(q.Get("maxresults")) + ". The value must be between 1 and 25.")
		}
		p.max, p.asked = n, true
	}
	if tok := q.Get("$skiptoken"); tok != "" {
		off, ok := decodeSkip(tok)
		if !ok {
			return p, badParameter("The $skiptoken parameter is invalid.")
		}
		p.offset = off
	}
	return p, nil
}

// The skip token is opaque to clients, like Key Vault's; ours holds an offset.
func encodeSkip(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeSkip(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "offset:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// page cuts one page out of items and builds the nextLink of the rest.
// Key Vault's nextLink names port 443 explicitly.
func page[T any](h *handler, items []T, p paging, path string) listResult[T] {
	res := listResult[T]{Value: []T{}}
	if p.offset < len(items) {
		end := min(p.offset+p.max, len(items))
		res.Value = items[p.offset:end]
		if end < len(items) {
			link := "https://" + h.v.Name + service.SuffixKeyVault + ":443" + path + "?api-version=" + h.r.URL.Query().Get("api-version") +
				"&$skiptoken=" + encodeSkip(end)
			if p.asked {
				link += "&maxresults=" + strconv.Itoa(p.max)
			}
			res.NextLink = &link
		}
	}
	return res
}

// sortedSecrets returns a map's secrets ordered by name, as Key Vault lists them.
func sortedSecrets(m map[string]*world.Secret) []*world.Secret {
	out := make([]*world.Secret, 0, len(m))
	for _, s := range m {
		if len(s.Versions) > 0 {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

func (h *handler) list() {
	p, aerr := readPaging(h.r)
	if aerr != nil {
		writeError(h.rw, aerr)
		return
	}
	var items []secretItem
	h.w.View(func(s *world.State) {
		if v := s.Vault(h.v.Name); v != nil {
			for _, sec := range sortedSecrets(v.Secrets) {
				items = append(items, h.v.item(sec.Name, latest(sec), false))
			}
		}
	})
	writeJSON(h.rw, http.StatusOK, page(h, items, p, "/secrets"))
}

func (h *handler) versions(o op) {
	p, aerr := readPaging(h.r)
	if aerr != nil {
		writeError(h.rw, aerr)
		return
	}
	var items []secretItem
	var name string
	h.w.View(func(s *world.State) {
		sec := secretIn(s, h.v.Name, o.name)
		if sec == nil {
			return
		}
		name = sec.Name
		for _, sv := range sec.Versions {
			items = append(items, h.v.item(sec.Name, sv, true))
		}
	})
	if name == "" {
		name = o.name
	}
	// An unknown secret has no versions: Key Vault answers an empty list.
	writeJSON(h.rw, http.StatusOK, page(h, items, p, "/secrets/"+name+"/versions"))
}

func (h *handler) listDeleted() {
	p, aerr := readPaging(h.r)
	if aerr != nil {
		writeError(h.rw, aerr)
		return
	}
	now := h.w.Now()
	var items []deletedBundle
	h.w.View(func(s *world.State) {
		if v := s.Vault(h.v.Name); v != nil {
			for _, sec := range sortedSecrets(v.DeletedSecrets) {
				if !purged(sec, now) {
					items = append(items, h.v.deleted(sec))
				}
			}
		}
	})
	writeJSON(h.rw, http.StatusOK, page(h, items, p, "/deletedsecrets"))
}
